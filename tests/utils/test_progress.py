import io

from mome_mmaction.utils.progress import LogFriendlyProgressBar


class _Terminal(io.StringIO):

    def isatty(self) -> bool:
        return True


def test_file_gets_a_line_every_ten_percent():
    stream = io.StringIO()
    bar = LogFriendlyProgressBar(200, file=stream, desc='eval')
    for _ in range(200):
        bar.update()
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert '\r' not in stream.getvalue()
    assert lines[0] == '[eval] 0/200'
    assert [line.split(' ')[1] for line in lines[1:]
            ] == [f'{count}/200' for count in range(20, 201, 20)]
    assert [line.split(' ')[2] for line in lines[1:]
            ] == [f'({percent}%),' for percent in range(10, 101, 10)]
    assert 'ETA' in lines[1] and 'ETA' not in lines[-1]


def test_big_steps_print_one_line_each():
    stream = io.StringIO()
    bar = LogFriendlyProgressBar(3, file=stream)
    for _ in range(3):
        bar.update()
    assert [line.split(' ')[1:3]
            for line in stream.getvalue().splitlines()] == [['0/3'],
                                                            ['1/3', '(33%),'],
                                                            ['2/3', '(66%),'],
                                                            ['3/3', '(100%),']]


def test_terminal_keeps_mmengine_redraws():
    stream = _Terminal()
    bar = LogFriendlyProgressBar(4, file=stream)
    for _ in range(4):
        bar.update()
    bar.finish()
    assert stream.getvalue().count('\r') == 4
    assert stream.getvalue().endswith('\n')

import pytest
import signal
import subprocess
import sys
import textwrap
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

import mome_mmaction  # noqa: F401  (registers the backend)
from mome_mmaction.utils import (AtomicLocalBackend, CorruptCheckpointError,
                                 load_checkpoint_weights_only)

#: Child: save a 4 MB checkpoint over PATH with writes limited to 1 MB, so
#: the kernel kills it (SIGXFSZ) in the middle of writing, as a SIGKILL or
#: the OOM killer would (Python ignores SIGXFSZ unless told otherwise).
KILLED_SAVE = textwrap.dedent('''
    import resource, signal, sys, torch
    import mome_mmaction
    from mmengine.runner.checkpoint import save_checkpoint
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    save_checkpoint(dict(state_dict=dict(w=torch.ones(1 << 20))), sys.argv[1])
''')


def test_local_paths_use_it_and_leave_no_temporary_files(tmp_path):
    backend = get_file_backend(str(tmp_path / 'x.pth'))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'one', tmp_path / 'sub' / 'file.bin')
    backend.put_text('two', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'sub' / 'file.bin').read_bytes() == b'one'
    assert (tmp_path / 'last_checkpoint').read_text() == 'two'
    assert sorted(path.name for path in tmp_path.rglob('*')) == [
        'file.bin', 'last_checkpoint', 'sub'
    ]


def test_a_save_killed_midway_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    save_checkpoint(dict(state_dict=dict(w=torch.zeros(3))), str(path))
    child = subprocess.run([sys.executable, '-c', KILLED_SAVE,
                            str(path)],
                           capture_output=True,
                           text=True)
    assert child.returncode == -signal.SIGXFSZ, child.stderr
    assert torch.equal(
        load_checkpoint_weights_only(str(path))['state_dict']['w'],
        torch.zeros(3))
    # What the killed save left is a truncated temporary file, refused by
    # name if anyone tries to load it.
    leftover, = tmp_path.glob('.epoch_1.pth.*.tmp')
    with pytest.raises(
            CorruptCheckpointError, match=f'{leftover} is truncated'):
        load_checkpoint_weights_only(str(leftover))


@pytest.mark.parametrize('content, problem', [
    (b'', 'is empty'),
    (b'<html>not found</html>', 'is not a torch checkpoint'),
])
def test_unreadable_checkpoints_are_named(tmp_path, content, problem):
    path = tmp_path / 'bad.pth'
    path.write_bytes(content)
    with pytest.raises(CorruptCheckpointError, match=f'{path} {problem}'):
        load_checkpoint_weights_only(str(path))

"""A progress bar that writes whole lines when it does not draw on a TTY."""
import sys
from mmengine.utils import ProgressBar, Timer
from typing import IO, Optional


class LogFriendlyProgressBar(ProgressBar):
    """mmengine's ``ProgressBar``, or, when ``file`` is not a terminal (a
    log file, a pipe), one plain line at every ``step_percent`` of progress
    (``[desc] 30/100 (30%), 5.2 task/s, elapsed: 6s, ETA: 14s``) instead of
    carriage-return redraws that pile up in the file.

    Args:
        task_num (int): Number of steps; 0 (unknown) always draws
            mmengine's bar.
        file (IO, optional): Where to write. Defaults to None
            (``sys.stdout`` at the time of the call).
        desc (str): Label of the lines. Defaults to 'progress'.
        step_percent (int): Percentage between two lines. Defaults to 10.
    """

    def __init__(self,
                 task_num: int = 0,
                 file: Optional[IO] = None,
                 desc: str = 'progress',
                 step_percent: int = 10) -> None:
        file = file or sys.stdout
        isatty = getattr(file, 'isatty', None)
        self.line_mode = task_num > 0 and not (isatty and isatty())
        self.desc = desc
        self.step_percent = step_percent
        self._next_percent = step_percent
        super().__init__(task_num, file=file)

    def start(self) -> None:
        """Start the timer; a line saying how many steps in line mode."""
        if not self.line_mode:
            return super().start()
        self.file.write(f'[{self.desc}] 0/{self.task_num}\n')
        self.file.flush()
        self.timer = Timer()

    def update(self, num_tasks: int = 1) -> None:
        """Count ``num_tasks`` steps; in line mode print a line each time
        progress passes the next ``step_percent`` (and at the end)."""
        if not self.line_mode:
            return super().update(num_tasks)
        self.completed += num_tasks
        percent = 100 * self.completed // self.task_num
        if percent < self._next_percent and self.completed != self.task_num:
            return
        while self._next_percent <= percent:
            self._next_percent += self.step_percent
        elapsed = self.timer.since_start()
        speed = self.completed / elapsed if elapsed > 0 else float('inf')
        line = (f'[{self.desc}] {self.completed}/{self.task_num} '
                f'({percent}%), {speed:.1f} task/s, elapsed: '
                f'{int(elapsed + 0.5)}s')
        if self.completed < self.task_num:
            eta = elapsed * (self.task_num - self.completed) / self.completed
            line += f', ETA: {int(eta + 0.5)}s'
        self.file.write(line + '\n')
        self.file.flush()

    def finish(self) -> None:
        """End the bar's line (terminal mode; lines end by themselves)."""
        if not self.line_mode:
            self.file.write('\n')
            self.file.flush()

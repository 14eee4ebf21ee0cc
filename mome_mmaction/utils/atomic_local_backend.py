"""Local files written atomically: a killed save never leaves half a file."""
import mmengine
import os
import os.path as osp
from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend
from pathlib import Path
from typing import Union


class AtomicLocalBackend(LocalBackend):
    """mmengine's local backend, writing through a temporary file.

    mmengine writes checkpoints, ``last_checkpoint`` and dumps with
    ``put`` / ``put_text``, which open the target and write into it: a
    process killed meanwhile (SIGKILL, OOM killer, preemption) leaves a
    truncated file under the final name. Here the data goes to a hidden
    temporary file in the same folder, is flushed to disk and then renamed
    over the target (``os.replace``, atomic on POSIX and Windows), so the
    target holds either the old or the new content, never part of it. A
    kill leaves at most the temporary ``.<name>.<pid>.tmp`` behind.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically (creating its folder)."""
        mmengine.mkdir_or_exist(osp.dirname(filepath))
        folder, name = osp.split(osp.abspath(filepath))
        temporary = osp.join(folder, f'.{name}.{os.getpid()}.tmp')
        try:
            with open(temporary, 'wb') as stream:
                stream.write(obj)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, filepath)
        finally:
            if osp.exists(temporary):
                os.remove(temporary)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically (creating its folder)."""
        self.put(obj.encode(encoding), filepath)


def register_atomic_local_backend() -> None:
    """Make :class:`AtomicLocalBackend` mmengine's backend for local
    paths."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')

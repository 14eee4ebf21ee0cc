"""Open video readers kept per process, least recently used first out."""
from collections import OrderedDict
from typing import Callable


class ReaderCache(OrderedDict):
    """``{filename: reader}`` of at most ``size`` open readers.

    Readers hold open files and native decoder state, so the cache pickles
    empty: a loader worker (or a copied transform) starts with none. An
    evicted reader is closed if it has a ``close`` method.

    Args:
        size (int): Readers kept, >= 1.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        if size < 1:
            raise ValueError(f'cache_size must be >= 1, got {size}')
        self.size = size

    def get_or_open(self, filename: str,
                    open_reader: Callable[[str], object]) -> object:
        """The cached reader of ``filename``, else ``open_reader(filename)``
        (then cached).

        Args:
            filename (str): The video.
            open_reader (Callable[[str], object]): Opens a reader.

        Returns:
            object: The reader, now the most recently used.
        """
        reader = self.pop(filename, None)
        if reader is None:
            reader = open_reader(filename)
        self[filename] = reader
        while len(self) > self.size:
            _, evicted = self.popitem(last=False)
            if hasattr(evicted, 'close'):
                evicted.close()
        return reader

    def __reduce__(self) -> tuple:
        return type(self), (self.size, )

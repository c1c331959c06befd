"""An exclusive, non-blocking OS lock on a file: held for a ``with`` block, released by the OS if the
process dies (so a killed writer never leaves a stale lock). The lock file holds the holder's pid."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, documented
    fcntl = None  # type: ignore[assignment]


class LockBusy(Exception):
    """Another process holds the lock; ``holder`` is its pid when known (as text), else ``""``."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(f"locked by process {holder}" if holder else "locked")

    @property
    def who(self) -> str:
        """`` (process 123)`` or nothing, for messages."""
        return f" (process {self.holder})" if self.holder else ""


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing); raise :class:`LockBusy` at once if held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                raise LockBusy(holder if holder.isdigit() else "") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the lock

"""The lock of a results folder, so that two sweeps never write one folder."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from nnrun.errors import NnrunError
from nnrun.results.files import utc_now
from nnrun.results.layout import LOCK_NAME, Layout

__all__ = ["LOCK_NAME", "SweepLock"]


class SweepLock:
    """An exclusive lock on a results folder.

    The lock is an ``flock`` on the file ``.nnrun.lock``: the kernel releases it when its holder
    exits, however it exits (SIGKILL included), so a lock is never stale and two processes can
    never both take one over. The file's contents (pid, host, start time) only name the holder
    in the message a second sweep gets; the file stays, empty, once the lock is released.
    """

    def __init__(self, folder: Path):
        self.path = Layout(folder).lock
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:  # --out is a file, or a place this user cannot write
            raise NnrunError(f"cannot create the results folder {self.path.parent}: "
                             f"{error.strerror or error}; give another --out") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = self._holder(fd)
            os.close(fd)
            raise NnrunError(
                f"{self.path.parent} is in use by another nnrun sweep (pid "
                f"{holder.get('pid', '?')} on {holder.get('host', '?')}, since "
                f"{holder.get('since', '?')}); wait for it to finish or use another --out"
            ) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    @staticmethod
    def _holder(fd: int) -> dict[str, Any]:
        try:
            return json.loads(os.pread(fd, 4096, 0))
        except (OSError, ValueError):  # being written this very moment
            return {}

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

"""Ctrl-C during a sweep: never lost, even when it lands where Python would swallow it."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def ctrl_c_noted() -> Iterator[threading.Event]:
    """Note every Ctrl-C in an Event, and raise KeyboardInterrupt as usual, except inside a
    ``__del__`` (dask's futures have one), where Python would print it and swallow it.

    The driver checks the Event after each result, so that Ctrl-C always stops the sweep. A
    SIGINT that was ignored (a background job) stays ignored.
    """
    noted = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler or \
            threading.current_thread() is not threading.main_thread():
        yield noted
        return

    def on_sigint(signum: int, frame: Any) -> None:
        noted.set()
        while frame is not None:
            if frame.f_code.co_name == "__del__":
                return
            frame = frame.f_back
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)

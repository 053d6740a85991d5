"""Ctrl-C, SIGTERM and SIGHUP during a sweep: never lost, even when one lands where Python would
swallow it, and all three end a sweep the same way.

A batch scheduler's wall limit, a CI timeout and ``kill`` send SIGTERM; closing the terminal sends
SIGHUP. Python's default for both is to die on the spot, with no message, no summary, and the
loky workers left running; here each becomes the KeyboardInterrupt that Ctrl-C raises, so the
driver stops the workers, writes what finished and says so, and the command exits with
128 + the signal's number, as a shell reports a process the signal killed.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

#: The signals that stop a sweep cleanly, and the handler Python starts with for each: a signal
#: whose handler is another one (SIG_IGN under nohup or in a background job, a handler of the
#: program that called us) is left alone.
STOPPING = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL,
            signal.SIGHUP: signal.SIG_DFL}


class Interrupt(threading.Event):
    """Set by the first stopping signal; ``signum`` says which one (None until then)."""

    signum: int | None = None
    raised: bool = False  # a KeyboardInterrupt is on its way: later signals only note
    held: bool = False  # in a step that must not be cut (see held_off): signals only note

    @contextlib.contextmanager
    def held_off(self) -> Iterator[None]:
        """A step a signal must not cut in two (a trial's result written, then counted): a
        signal inside it is only noted; the caller raises once it is done (raise_if_set)."""
        self.held = True
        try:
            yield
        finally:
            self.held = False

    def hold(self) -> None:
        """From now on a signal is only noted, as in :meth:`held_off`, until the handlers are
        restored: the sweep's last steps (the summary, sweep.json, the lock released) run
        whole once its loop has ended, and the driver reports a signal that landed in them."""
        self.held = True

    def raise_if_set(self) -> None:
        """KeyboardInterrupt if a signal was noted (and swallowed or held off)."""
        if self.is_set():
            self.raised = True
            raise KeyboardInterrupt

    @property
    def name(self) -> str:
        """"Ctrl-C" for SIGINT, else the signal's name (SIGTERM, SIGHUP)."""
        if self.signum is None or self.signum == signal.SIGINT:
            return "Ctrl-C"
        return signal.Signals(self.signum).name


@contextlib.contextmanager
def ctrl_c_noted() -> Iterator[Interrupt]:
    """Note every Ctrl-C, SIGTERM and SIGHUP in an :class:`Interrupt`, and raise
    KeyboardInterrupt as Ctrl-C does, except inside a ``__del__`` (dask's futures have one),
    where Python would print it and swallow it.

    The driver checks the Event after each result, so that a signal always stops the sweep. A
    signal that was ignored (nohup, a background job) stays ignored; outside the main thread,
    where Python cannot set handlers, nothing changes.
    """
    noted = Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return

    def on_signal(signum: int, frame: Any) -> None:
        if noted.signum is None:
            noted.signum = signum
        noted.set()
        if noted.raised or noted.held:  # stopping already, or in a step not to be cut
            return
        while frame is not None:
            if frame.f_code.co_name == "__del__":
                return
            frame = frame.f_back
        noted.raised = True
        raise KeyboardInterrupt

    previous = {signum: signal.getsignal(signum) for signum in STOPPING}
    ours = [signum for signum, handler in previous.items() if handler is STOPPING[signum]]
    for signum in ours:
        signal.signal(signum, on_signal)
    try:
        yield noted
    finally:
        for signum in ours:
            signal.signal(signum, previous[signum])

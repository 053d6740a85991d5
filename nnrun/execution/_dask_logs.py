"""Quieter dask logs: what dask, tornado and asyncio log while nnrun stops or loses a scheduler
says nothing to the user that nnrun's own one-line messages do not say better."""

from __future__ import annotations

import logging


def quiet_shutdown_logs() -> None:
    """Stopping mid-sweep (Ctrl-C, fail-fast) closes connections that have messages in flight;
    dask and asyncio then log "comm closed" tracebacks that say nothing to the user."""
    # dask's logging config gives children their own levels (tornado.application: error), so
    # setting the parents is not enough: every logger of these families goes quiet
    families = ("distributed", "asyncio", "tornado")
    names = [*families, *logging.root.manager.loggerDict]
    for name in names:
        if name.split(".")[0] in families:
            logging.getLogger(name).setLevel(logging.CRITICAL)


class ConnectionLogsQuiet:
    """While a sweep runs on a scheduler of the user's: dask logs at INFO in the driver too
    ("Batched Comm Closed", with a traceback, when the scheduler goes away), and its IO loop
    logs each closed connection's traceback. nnrun says what matters itself; the loggers are
    put back as they were afterwards."""

    NOISY = ("tornado.application", "asyncio")

    def __enter__(self) -> None:
        self.level = logging.getLogger("distributed").level
        logging.getLogger("distributed").setLevel(logging.ERROR)
        self.filter = ClosedConnectionNoise()
        for name in self.NOISY:
            logging.getLogger(name).addFilter(self.filter)

    def __exit__(self, *exc_info: object) -> None:
        logging.getLogger("distributed").setLevel(self.level)
        for name in self.NOISY:
            logging.getLogger(name).removeFilter(self.filter)


class ClosedConnectionNoise(logging.Filter):
    """Drops log records whose traceback is that of a closed connection: when the scheduler
    goes away, dask's IO loop logs one for each request that was in flight, before nnrun
    notices and says so in one line. Other records pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        from distributed.comm.core import CommClosedError

        error = record.exc_info[1] if record.exc_info else None
        for _ in range(8):  # the chain of causes, not forever if it loops
            if error is None:
                break
            if isinstance(error, CommClosedError | ConnectionError):
                return False
            error = error.__cause__ or error.__context__
        return True

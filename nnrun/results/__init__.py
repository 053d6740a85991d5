"""The results folder: the only code that knows its file names (ARCHITECTURE.md).

``layout`` names every file; ``files`` writes them atomically; ``lock`` keeps two sweeps out of
one folder; ``checkpoint`` stores a trainer's state; ``summary`` assembles summary.csv's row;
``store`` is the writer (the driver's), ``reader`` the one reader (show, plot, the report,
check); ``record`` is result.json, typed.
"""

from nnrun.results.files import atomic_write_bytes, atomic_write_text, utc_now
from nnrun.results.layout import LOCK_NAME, Layout, is_sweep_folder, sweep_folders_in
from nnrun.results.lock import SweepLock
from nnrun.results.reader import ResultsReader, read_json_object
from nnrun.results.record import TrialRecord
from nnrun.results.store import ResultsStore

__all__ = [
    "LOCK_NAME",
    "Layout",
    "ResultsReader",
    "ResultsStore",
    "SweepLock",
    "TrialRecord",
    "atomic_write_bytes",
    "atomic_write_text",
    "is_sweep_folder",
    "read_json_object",
    "sweep_folders_in",
    "utc_now",
]

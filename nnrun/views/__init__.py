"""What nnrun shows of a results folder; views read results and never write them, but for
the pictures and report.md under plots/.

``sweep`` is a sweep as the pictures and the report see it (:class:`SweepResults`, read
through :class:`nnrun.results.ResultsReader`, with labels); ``leaderboard`` is ``nnrun
show``; ``report`` writes report.md; ``tables`` prints plain and markdown tables and durations;
``plots`` draws the pictures.
"""

from nnrun.views.leaderboard import Leaderboard, leaderboard
from nnrun.views.report import Picture, render_report, write_report
from nnrun.views.sweep import SweepResults, load_sweep
from nnrun.views.tables import format_clock, format_duration, markdown_table, plain_table

__all__ = [
    "Leaderboard",
    "Picture",
    "SweepResults",
    "format_clock",
    "format_duration",
    "leaderboard",
    "load_sweep",
    "markdown_table",
    "plain_table",
    "render_report",
    "write_report",
]

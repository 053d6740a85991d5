"""Tables and durations as nnrun prints them: one plain-text table (a terminal, a CI log), one
markdown table (report.md, ``show --format markdown``, ``check --summary``), and the two ways
a duration is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def plain_table(headers: Sequence[str], rows: Iterable[Sequence[str]], *,
                rule: bool = True) -> str:
    """Columns padded to their widest cell and two spaces apart, a rule of dashes under the
    header (unless ``rule`` is false); no line ends in spaces, and the text in no newline."""
    rows = [list(row) for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in rows)])
              for i, header in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths,
                                                                  strict=True)).rstrip()

    lines = [line(headers)]
    if rule:
        lines.append("  ".join("-" * width for width in widths))
    lines += [line(row) for row in rows]
    return "\n".join(lines)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]],
                   right: bool | Sequence[bool] = False) -> list[str]:
    """A GitHub-flavoured markdown table, a line a row: header, alignment, rows.

    ``right`` right-aligns every column (True) or those it marks, column by column (numbers
    read best right-aligned). A ``|`` in a cell is escaped and a newline becomes a space, so
    that any text fits in a cell; markdown inside a cell (``**bold**``, ```code```) is kept.
    """
    flags = [right] * len(headers) if isinstance(right, bool) else list(right)
    rule = "|" + "|".join("---:" if flag else "---" for flag in flags) + "|"
    return [_markdown_row(headers), rule, *(_markdown_row(row) for row in rows)]


def _markdown_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(markdown_cell(cell) for cell in cells) + " |"


def markdown_cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def format_clock(seconds: float) -> str:
    """A duration as a clock shows it, for a progress line: ``0:05``, ``12:34``, ``1:02:03``."""
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def format_duration(seconds: float) -> str:
    """A duration in words, for a report: ``5.0 s``, ``3 min 25 s``, ``2 h 5 min``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"

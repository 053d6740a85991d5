"""The one plain-text table, the one markdown table and the two duration formats."""

from __future__ import annotations

import pytest

from nnrun.views.tables import format_clock, format_duration, markdown_table, plain_table


def test_plain_table_pads_columns_and_ends_no_line_in_spaces() -> None:
    text = plain_table(["name", "n", "note"], [["relu", "12", ""], ["tanh", "3", "diverged"]])
    assert text.splitlines() == ["name  n   note",
                                 "----  --  --------",
                                 "relu  12",
                                 "tanh  3   diverged"]
    assert plain_table(["a", "bb"], [], rule=False) == "a  bb"
    assert plain_table(["a"], [["x"]], rule=False).splitlines() == ["a", "x"]


def test_markdown_table_aligns_and_escapes() -> None:
    assert markdown_table(["rank", "lr", "note"], [["1", "0.1", "a|b\nc"]],
                          [True, True, False]) == [
        "| rank | lr | note |", "|---:|---:|---|", "| 1 | 0.1 | a\\|b c |"]
    assert markdown_table(["a", "b"], [], right=True)[1] == "|---:|---:|"
    assert markdown_table(["a"], [["**bold** `code`"]])[2] == "| **bold** `code` |"


@pytest.mark.parametrize(("seconds", "clock", "words"), [
    (0.0, "0:00", "0.0 s"), (5.04, "0:05", "5.0 s"), (59.9, "1:00", "59.9 s"),
    (205, "3:25", "3 min 25 s"), (3725, "1:02:05", "1 h 2 min")
])
def test_durations(seconds: float, clock: str, words: str) -> None:
    assert format_clock(seconds) == clock
    assert format_duration(seconds) == words
    assert format_duration(-seconds - 1) == "0.0 s"  # a clock set back is no time at all

"""How a message shows what the user wrote: the value as YAML, its kind in words, and the
nearest allowed word."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Sequence
from typing import Any

import yaml


def show(value: Any, limit: int = 60) -> str:
    """A value as the user would write it in YAML, cut at ``limit`` characters."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, list | dict):
        try:
            text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False,
                                  width=math.inf).strip()
        except yaml.YAMLError:
            text = repr(value)
    else:
        text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def kind(value: Any) -> str:
    """What sort of value it is, in words: "an integer", "a list", ..."""
    for type_, words in ((bool, "a boolean"), (str, "text"), (int, "an integer"),
                         (float, "a decimal number"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, type_):
            return words
    return "null" if value is None else type(value).__name__


def did_you_mean(word: Any, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the choice that differs only in case or is closest, or ""."""
    word = str(word)
    for choice in choices:
        if choice.lower() == word.lower():
            return f" (did you mean {choice!r}?)"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""

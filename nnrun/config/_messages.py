"""From pydantic's errors to messages a user can act on: what was found, what is allowed, and
the nearest allowed word (did you mean ...?).

``explain`` turns one pydantic error into (location, message) pairs; a problem a section's
validator found (schema.cross_field) becomes one pair for each key it is about. One small
function a kind of error, looked up in ``_MESSAGES``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args, get_origin

from nnrun.config._annotations import annotation_at, is_model, members, nullable, unwrap
from nnrun.config._show import did_you_mean, kind, show
from nnrun.config.dotted import sweepable
from nnrun.config.schema import CROSS_FIELD, TOP_KEYS, ConfigFile

_EXPECTED = {
    "int_type": "an integer", "float_type": "a number", "string_type": "text",
    "bool_type": "true or false", "list_type": "a list", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping",
}
_BOUNDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def one_form(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A key that is one word or a list of words (``metric``, ``goal``): pydantic checks a bad
    value against both forms, and names each form in the location. Keep the errors of the form
    the value has (a list: the list's; anything else: the word's), without the form's name."""
    kept = []
    for error in errors:
        loc = list(error["loc"])
        form = next((i for i, part in enumerate(loc) if isinstance(part, str)
                     and part.startswith(("literal[", "list["))), None)
        if form is None:
            kept.append(error)
            continue
        as_list = loc[form].startswith("list[")
        if as_list and error["type"] == "list_type":
            continue  # a word, not a list: the word's own error says what is wrong
        if not as_list and isinstance(error.get("input"), list):
            continue  # a list: its items' errors say what is wrong
        kept.append({**error, "loc": tuple(loc[:form] + loc[form + 1:])})
    return kept


def explain(error: dict[str, Any]) -> list[tuple[tuple, str]]:
    """(location, message) pairs for one pydantic error: what was found and what is allowed."""
    loc = tuple(error["loc"])
    if error["type"] == CROSS_FIELD:
        problems = error["ctx"]["problems"]
        return [((*loc, *key.split(".")), message) for key, message in problems]
    return [(loc, _message(loc, error))]


class _Problem:
    """One pydantic error with what its messages need: the value found, the error's context,
    and the annotation of the key (its allowed words, whether it may be null)."""

    def __init__(self, loc: tuple, error: dict[str, Any]):
        self.loc = loc
        self.error = error
        self.found = error.get("input")
        self.ctx = error.get("ctx") or {}
        annotation = annotation_at(loc, ConfigFile)
        literal = next((m for m in members(annotation) if get_origin(m) is Literal), None)
        self.literals: tuple = get_args(literal) if literal is not None else ()
        self.or_null = " or null" if annotation is not None and nullable(annotation) else ""


def _message(loc: tuple, error: dict[str, Any]) -> str:
    return _MESSAGES.get(error["type"], _pydantic_words)(_Problem(loc, error))


def _missing(problem: _Problem) -> str:
    allowed = f"; expected one of {', '.join(problem.literals)}" if problem.literals else ""
    return f"required key is missing{allowed}"


def _unknown_key(problem: _Problem) -> str:
    key = problem.loc[-1]
    parent = unwrap(annotation_at(problem.loc[:-1], ConfigFile))
    siblings = list(parent.model_fields) if is_model(parent) else []
    if parent is ConfigFile:
        siblings = list(TOP_KEYS)
    hint = did_you_mean(key, siblings)
    if not hint:
        # A key of another section (lr: at the top): point at where it belongs.
        elsewhere = [k for k in (*TOP_KEYS, *sweepable()) if k.split(".")[-1] == key]
        hint = f" (did you mean {elsewhere[0]}?)" if elsewhere else ""
    allowed = f"; allowed here: {', '.join(siblings)}" if siblings else ""
    return f"unknown key{hint}{allowed}"


def _not_allowed(problem: _Problem) -> str:
    found = problem.found
    what = show(found) if isinstance(found, str) else f"{show(found)} ({kind(found)})"
    return (f"{what} is not allowed; expected one of {', '.join(problem.literals)}"
            f"{problem.or_null}{did_you_mean(found, problem.literals)}")


def _wrong_type(problem: _Problem) -> str:
    found = problem.found
    what = "null" if found is None else f"{show(found)} ({kind(found)})"
    return f"found {what}; expected {_EXPECTED[problem.error['type']]}{problem.or_null}"


def _out_of_bounds(problem: _Problem) -> str:
    bound, limit = next(iter(problem.ctx.items()))
    return f"found {show(problem.found)}; it must be {_BOUNDS[bound]} {limit}"


def _not_finite(problem: _Problem) -> str:
    return f"found {show(problem.found)}; expected a finite number"


def _bad_name(problem: _Problem) -> str:
    return (f"{show(problem.found)} is not allowed; a name is letters, digits, '.', '_' and "
            "'-', starting with a letter or digit (it becomes a folder under --out)")


def _wrong_length(problem: _Problem) -> str:
    """A list too short or too long: how many values it takes (exactly N where the schema says
    so, as for optimizer.betas; else at least or at most N)."""
    if not isinstance(problem.found, list):
        return _pydantic_words(problem)
    shortest, longest = _length_bounds(problem.loc)
    if shortest is not None and shortest == longest:
        expected = _values(shortest)
    elif problem.error["type"] == "too_short":
        expected = f"at least {_values(problem.ctx['min_length'])}"
    else:
        expected = f"at most {_values(problem.ctx['max_length'])}"
    return f"found {show(problem.found)}; expected {expected}"


def _values(count: int) -> str:
    return f"{count} value{'' if count == 1 else 's'}"


def _length_bounds(loc: tuple) -> tuple[int | None, int | None]:
    """The min_length and max_length the schema gives the key at ``loc`` (None where it gives
    none, or where the key is not a field of a section)."""
    model: Any = ConfigFile
    for part in loc[:-1]:
        field = model.model_fields.get(part) if is_model(model) else None
        if field is None:
            return None, None
        model = unwrap(field.annotation)
    field = model.model_fields.get(loc[-1]) if is_model(model) and loc else None
    metadata = field.metadata if field is not None else []
    return (next((m.min_length for m in metadata if hasattr(m, "min_length")), None),
            next((m.max_length for m in metadata if hasattr(m, "max_length")), None))


def _pydantic_words(problem: _Problem) -> str:
    """Any other error: pydantic's own words after what was found."""
    words = problem.error["msg"]
    return f"found {show(problem.found)}; {words[0].lower()}{words[1:]}"


_MESSAGES: dict[str, Callable[[_Problem], str]] = {
    **dict.fromkeys(_EXPECTED, _wrong_type),
    **dict.fromkeys(("greater_than", "greater_than_equal", "less_than", "less_than_equal"),
                    _out_of_bounds),
    "missing": _missing,
    "extra_forbidden": _unknown_key,
    "literal_error": _not_allowed,
    "finite_number": _not_finite,
    "string_pattern_mismatch": _bad_name,
    "too_short": _wrong_length,
    "too_long": _wrong_length,
}

"""Reading the schema's annotations: which type stands at a key, and whether it may be null.

Messages name what a key allows, and ``sweepable_keys`` walks the sections, both from the
pydantic models themselves rather than from a second list of keys.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel


def unwrap(annotation: Any) -> Any:
    """The type inside Optional[...] and Annotated[...]."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return unwrap(members[0])
    return annotation


def nullable(annotation: Any) -> bool:
    """Whether the annotation lets the key be null."""
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


def is_model(annotation: Any) -> bool:
    """Whether the annotation is a section (a pydantic model)."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def annotation_at(loc: Sequence[Any], root: type[BaseModel]) -> Any:
    """The type annotation of the key at a pydantic location under ``root``, or None if there
    is none."""
    annotation: Any = root
    for part in loc:
        inner = unwrap(annotation)
        if is_model(inner):
            if part not in inner.model_fields:
                return None
            annotation = inner.model_fields[part].annotation
        elif isinstance(part, int) and (listed := list_member(inner)) is not None:
            annotation = get_args(listed)[0]
        elif get_origin(inner) is dict:
            annotation = get_args(inner)[1]
        else:
            return None
    return annotation


def members(annotation: Any) -> list[Any]:
    """The unwrapped types a union allows (null left out), or the one type itself."""
    inner = unwrap(annotation)
    if get_origin(inner) in (Union, types.UnionType):
        return [unwrap(a) for a in get_args(inner) if a is not type(None)]
    return [inner]


def list_member(annotation: Any) -> Any:
    """The list type of a key that is a list, or one word or a list of words (``metric``)."""
    return next((m for m in members(annotation) if get_origin(m) is list), None)

"""YAML: safe loading, YAML 1.2 floats, and where every key and value was written.

The reader walks PyYAML's node tree itself instead of taking ``yaml.safe_load``'s result, so
that it can refuse what plain PyYAML lets through (duplicated keys, tags, alias bombs), read
``1e-3`` as the number YAML 1.2 says it is, and remember the line and column of each key and
value for the messages. ``--set KEY=VALUE`` options go through the same reader, located at the
option instead of a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from nnrun.config._show import kind, show
from nnrun.config.dotted import dotted_name
from nnrun.errors import ConfigError

# YAML 1.2 floats: PyYAML follows YAML 1.1, where "1e-3" (no dot) is a string.
_FLOAT_12 = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads YAML 1.2 floats and keeps dates as text (folder names, say).

    A subclass, so the global SafeLoader is untouched (PyYAML copies the tables on first add).
    """


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SCALAR_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
}
_MAX_NODES = 100_000  # aliases can make a small file expand enormously ("billion laughs")
_SWEPT = ("sweep", "parameters")  # under sweep.parameters, a key is a dotted key, dots and all


@dataclass(frozen=True, order=True)
class Loc:
    """Where something was written: a line and column of the file, or a --set option."""

    override: str = ""  # the KEY of `--set KEY=VALUE`; "" for the file
    line: int = 0  # 1-based; 0 when unknown
    column: int = 0

    def render(self, filename: str) -> str:
        if self.override:
            return f"{filename}: --set {self.override}"
        if self.line:
            return f"{filename}:{self.line}:{self.column}"
        return filename


class _Abort(Exception):
    """The document can't be read on: report what was found so far."""


class Reader:
    """Turns YAML text into plain python and remembers where each key and value was written.

    ``key_at`` and ``value_at`` map a location (a tuple of keys and list indices) to where its
    key and its value were written; ``problems`` collects what is wrong, so that every problem
    of a file is reported at once by ``error()``.
    """

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[tuple[Loc, str, str]] = []  # (where, dotted key, message)
        self.key_at: dict[tuple, Loc] = {}
        self.value_at: dict[tuple, Loc] = {}
        self._override = ""
        self._nodes = 0
        self.notes: list[str] = []  # what an override did that the user should hear of
        # the sub-spaces of a list that --set KEY=VALUE left with no key (not those the file
        # or a --set of sweep.parameters writes empty, which are errors)
        self.emptied: set[int] = set()

    def fail(self, loc: Loc, key: str, message: str) -> None:
        self.problems.append((loc, key, message))

    def error(self) -> ConfigError:
        """Every problem found, in file order: ``file:line:col: key: message``."""
        lines = []
        for loc, key, message in sorted(self.problems, key=lambda p: p[0]):
            lines.append(f"{loc.render(self.filename)}: {key + ': ' if key else ''}{message}")
        return ConfigError(lines)

    def _mark(self, mark: yaml.Mark | None) -> Loc:
        if self._override:
            return Loc(override=self._override)
        if mark is None:
            return Loc()
        return Loc(line=mark.line + 1, column=mark.column + 1)

    def read(self, text: str) -> dict[str, Any]:
        """The document of a whole file: a mapping, or a ConfigError raised."""
        value = self._parse(text, ())
        if self.problems and value is None:
            raise self.error()
        if value is None:
            self.fail(Loc(line=1, column=1), "", "the file is empty; it needs at least "
                      "`data: {dataset: ...}` (the README's section 'The YAML file' lists the "
                      "keys)")
            raise self.error()
        if not isinstance(value, dict):
            self.fail(self.value_at.get((), Loc(line=1, column=1)), "",
                      f"the file must be a mapping of keys (name:, data:, model:, ...), "
                      f"found {kind(value)}")
            raise self.error()
        return value

    def _parse(self, text: str, prefix: tuple) -> Any:
        loader = None
        try:
            loader = _Loader(text)  # the reader refuses control characters here already
            node = loader.get_single_node()
            if node is None:
                return None
            return self._walk(node, prefix, loader)
        except yaml.MarkedYAMLError as error:
            self.fail(self._mark(error.problem_mark), "", _syntax_message(error, text))
        except yaml.YAMLError as error:  # e.g. a control character the reader refuses
            self.fail(self._position(text, getattr(error, "position", 0)), "",
                      f"cannot read the YAML: {error}")
        except RecursionError:
            self.fail(self._mark(None), "", "the YAML is nested too deeply")
        except _Abort:
            pass
        finally:
            if loader is not None:
                loader.dispose()
        return None

    def _position(self, text: str, position: int) -> Loc:
        """Where the character at offset ``position`` of ``text`` stands."""
        if self._override:
            return Loc(override=self._override)
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return Loc("", line, column)

    def _walk(self, node: yaml.Node, path: tuple, loader: _Loader) -> Any:
        self._nodes += 1
        if self._nodes > _MAX_NODES:
            self.fail(self._mark(node.start_mark), dotted_name(path),
                      f"the document expands to more than {_MAX_NODES} values (aliases?)")
            raise _Abort
        loc = self._mark(node.start_mark)
        self.value_at[path] = loc
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, loc, loader)
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node, path, loc, loader)
        return self._scalar(node, path, loc, loader)

    def _sequence(self, node: yaml.SequenceNode, path: tuple, loc: Loc, loader: _Loader) -> list:
        if node.tag != _SEQ_TAG:
            self.fail(loc, dotted_name(path), _tag_message(node.tag))
        items = []
        for index, item in enumerate(node.value):
            self.key_at[(*path, index)] = self._mark(item.start_mark)
            items.append(self._walk(item, (*path, index), loader))
        return items

    def _mapping(self, node: yaml.MappingNode, path: tuple, loc: Loc, loader: _Loader) -> dict:
        if node.tag != _MAP_TAG:
            self.fail(loc, dotted_name(path), _tag_message(node.tag))
        loader.flatten_mapping(node)  # YAML merge keys: `<<: *defaults`
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_loc = self._mark(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self.fail(key_loc, dotted_name(path), "a key must be plain text")
                continue
            key = key_node.value  # the key as written: `1:` is the key "1"
            key_path = (*path, key)
            if key in result:
                first = self.key_at[key_path]
                where = f"line {first.line}" if first.line else "the same --set value"
                self.fail(key_loc, dotted_name(key_path),
                          f"duplicated key (first given at {where}); give each key once")
                continue
            self.key_at[key_path] = key_loc
            result[key] = self._walk(value_node, key_path, loader)
        return result

    def _scalar(self, node: yaml.Node, path: tuple, loc: Loc, loader: _Loader) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.fail(loc, dotted_name(path), _tag_message(node.tag))
            return None
        try:
            return loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, KeyError, TypeError, OverflowError):
            self.fail(loc, dotted_name(path),
                      f"cannot read {node.value!r} as {_short_tag(node.tag)}")
            return None

    def apply_override(self, document: dict[str, Any], item: str) -> None:
        """Apply one ``--set KEY=VALUE``: VALUE is read as YAML and replaces what the file says."""
        key, equals, text = item.partition("=")
        key = key.strip()
        prefix = ".".join(_SWEPT) + "."
        if key.startswith(prefix) and len(key) > len(prefix):
            swept = _swept_path(document, key[len(prefix):])
            if isinstance(swept, str):
                self.fail(Loc(override=key), ".".join(_SWEPT), swept)
                return
            path: tuple = (*_SWEPT, *swept)
        else:
            path = tuple(key.split("."))
        if not equals or not all(str(part).strip() for part in path):
            self.fail(Loc(override=item), "", "expected KEY=VALUE with a dotted KEY, "
                      "e.g. --set optimizer.lr=0.01")
            return
        self._override = key
        self._nodes = 0
        before = len(self.problems)
        try:
            value = self._parse(text, path) if text.strip() else None
        finally:
            self._override = ""
        if value is None and len(self.problems) > before:
            return  # VALUE is not YAML: reported, and the file's value stands
        self._place(document, path, value, Loc(override=key))
        if path[: len(_SWEPT)] != _SWEPT:
            self._unsweep(document, key, item)
        if _SWEPT[: len(path)] == path:
            self.emptied.clear()  # a new sweep.parameters, as written
        elif path[: len(_SWEPT)] == _SWEPT and isinstance(path[len(_SWEPT)], int):
            self.emptied.discard(path[len(_SWEPT)])  # a sub-space written again

    def _unsweep(self, document: dict[str, Any], key: str, item: str) -> None:
        """``--set KEY=VALUE`` wins over the sweep, as on Hydra's command line: the swept keys
        at or under KEY leave ``sweep.parameters`` (every sub-space of a list that sweeps them),
        with a note for each key. A sub-space left with no key stands for the one configuration
        of the base file (the checker refuses an empty sub-space written as such)."""
        sweep = document.get("sweep")
        parameters = sweep.get("parameters") if isinstance(sweep, dict) else None
        if isinstance(parameters, dict):
            for swept, place in self._take_out(parameters, _SWEPT, key):
                self.notes.append(f"note: --set {item.strip()} fixes {swept}, which "
                                  f"sweep.parameters varied{place}: it is no longer swept")
            return
        if not isinstance(parameters, list):
            return
        varied: dict[str, list[str]] = {}  # swept key -> the sub-spaces that swept it
        emptied = []
        for index, space in enumerate(parameters):
            if not isinstance(space, dict):
                continue  # the checker says what is wrong with it
            taken = self._take_out(space, (*_SWEPT, index), key)
            for swept, place in taken:
                varied.setdefault(swept, []).append(f"sweep.parameters[{index}].{swept}{place}")
            if taken and not space:
                self.emptied.add(index)
                emptied.append(f"sweep.parameters[{index}]")
        for swept, names in varied.items():
            self.notes.append(f"note: --set {item.strip()} fixes {swept}, which "
                              f"{_and(names)} varied: it is no longer swept")
        if emptied:
            self.notes[-1] += (f"; {_and(emptied)}, left with no key, "
                               f"{'is' if len(emptied) == 1 else 'are each'} the base "
                               f"configuration of the file (one trial)")

    def _take_out(self, space: dict[str, Any], where: tuple, key: str) -> list[tuple[str, str]]:
        """Remove from ``space`` (at ``where``) the swept keys at or under ``key``, and their
        locations; each one's name and, in brackets, where it was written."""
        taken = []
        for swept in [k for k in space if k == key or str(k).startswith(key + ".")]:
            at = self.key_at.get((*where, swept))
            taken.append((swept, f" ({at.render(self.filename)})" if at else ""))
            del space[swept]
            for table in (self.key_at, self.value_at):
                for old in [p for p in table if p[: len(where) + 1] == (*where, swept)]:
                    del table[old]
        return taken

    def _place(self, document: dict[str, Any], path: tuple, value: Any, here: Loc) -> None:
        """Put an override's value at ``path``, making the mappings on the way, and locate the
        key (and whatever stood under it before) at the option."""
        node = document
        for depth, part in enumerate(path[:-1]):
            if isinstance(part, int):  # a sub-space of sweep.parameters (see _swept_path)
                node = node[part]
                continue
            if node.get(part) is None:
                node[part] = {}
                self.key_at[path[: depth + 1]] = here
            node = node[part]
            if isinstance(node, list) and isinstance(path[depth + 1], int):
                continue  # the sub-spaces of sweep.parameters
            if not isinstance(node, dict):
                self.fail(here, dotted_name(path[: depth + 1]),
                          f"is {show(node)}, not a mapping, so {here.override} can't be set")
                return
        node[path[-1]] = value
        for table in (self.key_at, self.value_at):
            for old in [p for p in table if p[: len(path)] == path]:
                if table[old] != here:
                    del table[old]
        self.key_at[path] = here
        self.value_at.setdefault(path, here)


def _swept_path(document: dict[str, Any], rest: str) -> tuple | str:
    """The path under sweep.parameters that ``--set sweep.parameters.REST`` names: a swept key,
    dots and all (``optimizer.lr``); in a list of sub-spaces, one of them by its index
    (``1.optimizer.lr``, or ``1`` for the whole sub-space). A message, when REST names no
    sub-space of a list."""
    sweep = document.get("sweep")
    spaces = sweep.get("parameters") if isinstance(sweep, dict) else None
    if not isinstance(spaces, list):
        return (rest,)
    index, dot, key = rest.partition(".")
    last = f"0 to {len(spaces) - 1}" if len(spaces) > 1 else "0"
    if not index.isdigit():
        return (f"is a list of {len(spaces)} sub-spaces, so a key in it is set through the "
                f"index of its sub-space ({last}), e.g. --set sweep.parameters.0.{rest}=VALUE; "
                f"--set sweep.parameters=VALUE replaces the whole list")
    if int(index) >= len(spaces):
        return f"has no sub-space {index}: its sub-spaces are {last}"
    if not isinstance(spaces[int(index)], dict) and dot:
        return (f"its sub-space {index} is {show(spaces[int(index)])}, not a mapping of swept "
                f"keys, so a key can't be set in it; --set sweep.parameters.{index}=VALUE "
                f"replaces it")
    if not isinstance(spaces[int(index)], dict):
        return (int(index),)  # the whole sub-space replaced: the checker reads the new one
    return (int(index), key) if dot else (int(index),)  # "1." is malformed: key "" says so


def _and(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _syntax_message(error: yaml.MarkedYAMLError, text: str) -> str:
    mark = error.problem_mark
    problem = error.problem or "invalid YAML"
    lines = text.splitlines()
    line_text = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if "'\\t'" in problem or "\t" in line_text[: (mark.column + 1) if mark else 0]:
        return "a tab character; YAML indents with spaces only"
    message = f"YAML syntax error: {problem}"
    context = error.context_mark
    if error.context and context is not None and (mark is None or context.line != mark.line):
        message += f" ({error.context} at line {context.line + 1}, column {context.column + 1})"
    elif error.context:
        message += f" ({error.context})"
    return message


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _tag_message(tag: str) -> str:
    return (f"the tag {_short_tag(tag)} is not allowed; a config holds only plain text, "
            "numbers, true/false, null, lists and mappings")

"""The check of a whole document: the ConfigFile model, then the swept values, every problem
pointed at where it was written (the value itself, or the nearest key that was written)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nnrun.config._messages import explain, one_form
from nnrun.config._show import show
from nnrun.config._swept import SweptValues
from nnrun.config._yaml import Loc, Reader
from nnrun.config.dotted import dotted_name
from nnrun.config.schema import ConfigFile

# Where a problem of each pydantic kind points: a missing key at its parent, an unknown key at
# the key; anything else at the value.
_POINT_AT = {"missing": "missing", "extra_forbidden": "key"}


class Checker:
    """Checks one document read by ``reader``; problems go to the reader, which raises them."""

    def __init__(self, reader: Reader, document: dict[str, Any]):
        self.reader = reader
        self.document = document

    def locate(self, loc: tuple, kind: str = "value") -> Loc:
        """Where to point for a problem at `loc`: the value itself, or the nearest key written."""
        key_at, value_at = self.reader.key_at, self.reader.value_at
        if kind == "key" and loc in key_at:
            return key_at[loc]
        if kind != "missing" and loc in value_at:
            return value_at[loc]
        for end in range(len(loc), 0, -1):
            if loc[:end] in key_at:
                return key_at[loc[:end]]
        return value_at.get((), Loc(line=1, column=1))

    def fail(self, loc: tuple, message: str, kind: str = "value") -> None:
        self.reader.fail(self.locate(loc, kind), dotted_name(loc), message)

    def check(self) -> tuple[ConfigFile, dict[str, Any]]:
        """The validated file and its checked sweep parameters; a ConfigError listing every
        problem if there is any."""
        name_from_file = "name" not in self.document
        if name_from_file:
            self.document["name"] = Path(self.reader.filename).stem
        model = self._model(name_from_file)
        parameters = self._parameters()
        if self.reader.problems or model is None:
            raise self.reader.error()
        return model, parameters

    def _model(self, name_from_file: bool) -> ConfigFile | None:
        try:
            return ConfigFile.model_validate(self.document)
        except ValidationError as error:
            for problem in one_form(error.errors()):
                kind = _POINT_AT.get(problem["type"], "value")
                for loc, message in explain(problem):
                    if loc == ("name",) and name_from_file:
                        message = (f"the file name gives the name {self.document['name']!r}, "
                                   f"which can't be used ({message.split('; ', 1)[-1]}); add "
                                   "a `name:`")
                    self.fail(loc, message, kind=kind)
        return None

    def _parameters(self) -> dict[str, Any] | list[dict[str, Any]]:
        """sweep.parameters checked: a mapping, or a list of mappings (sub-spaces, each
        expanded on its own)."""
        sweep = self.document.get("sweep")
        if not isinstance(sweep, dict) or sweep.get("parameters") is None:
            return {}
        parameters = sweep["parameters"]
        swept = SweptValues(self.document, self.fail)
        method, samples = sweep.get("method", "grid"), sweep.get("samples")
        if isinstance(parameters, dict):
            return swept.check(parameters, method, samples)
        where = ("sweep", "parameters")
        if not isinstance(parameters, list) or not parameters:
            self.fail(where, f"found {show(parameters)}; expected a mapping of dotted keys to "
                      "values, or a list of such mappings (sub-spaces, e.g. one per optimizer)")
            return {}
        spaces = []
        for index, space in enumerate(parameters):
            if space == {} and index in self.reader.emptied:
                spaces.append({})  # --set fixed each of its keys: the base configuration
                continue
            if not isinstance(space, dict) or not space:
                what = "an empty sub-space" if space == {} else f"found {show(space)}"
                self.fail((*where, index), f"{what}; a sub-space is a mapping of dotted keys "
                          "to values, e.g. {optimizer.name: [adam], optimizer.lr: [0.001, 0.01]}")
                continue
            spaces.append(swept.check(space, method, samples, where=(*where, index)))
        return spaces

"""Config files for tests: a small base sweep, changed key by key, never by text replacement
(a replacement that stops matching would silently change nothing; a wrong dotted key here is
an unknown key that the loader refuses)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from nnrun.config import SweepSpec, load_config_text, set_dotted
from nnrun.errors import ConfigError

SMALL = """\
name: small
seed: 3
data:
  dataset: moons
  n_samples: 200
  noise: 0.2
model:
  hidden: [8]
  activation: tanh
loss: cross_entropy
optimizer:
  name: momentum
  lr: 0.1
train:
  batch_size: 32
  epochs: 5
  dtype: float64
sweep:
  method: grid
  parameters:
    model.activation: [tanh, relu]
    optimizer.lr: [0.05, 0.1]
"""

# The smallest valid file. A test of a message appends the lines it is about, so that the line
# and column the message names are the ones the test reads.
MINIMAL = "data:\n  dataset: spirals\n"

DELETE = object()  # a value for ``changes`` that removes the key


def config_text(text: str = SMALL, changes: dict[str, Any] | None = None) -> str:
    """``text`` with each dotted key of ``changes`` set (or removed, for DELETE). A key under
    ``sweep.parameters.`` names one swept parameter, dots and all."""
    document = yaml.safe_load(text)
    for key, value in (changes or {}).items():
        path = key.split(".")
        if key.startswith("sweep.parameters."):
            path = ["sweep", "parameters", key[len("sweep.parameters."):]]
        node = document
        for part in path[:-1]:
            node = node.setdefault(part, {})
        if value is DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = copy.deepcopy(value)
    return yaml.safe_dump(document, sort_keys=False)


def write_config(path: Path, text: str = SMALL, changes: dict[str, Any] | None = None) -> Path:
    """Write ``config_text(text, changes)`` to ``path`` and return it."""
    path.write_text(config_text(text, changes) if changes else text)
    return path


def spec_of(text: str = SMALL, *overrides: str, filename: str = "exp.yaml") -> SweepSpec:
    """The SweepSpec of a config text, with ``--set KEY=VALUE`` overrides."""
    return load_config_text(text, filename, list(overrides))


def config_errors(text: str, overrides: tuple[str, ...] = (),
                  filename: str = "exp.yaml") -> list[str]:
    """The lines of the ConfigError that loading ``text`` (with ``--set`` overrides) raises;
    the test fails if it loads."""
    with pytest.raises(ConfigError) as info:
        load_config_text(text, filename, overrides)
    assert str(info.value) == "\n".join(info.value.errors)
    return info.value.errors


def one_config_error(text: str, overrides: tuple[str, ...] = ()) -> str:
    """The one line of the ConfigError that loading ``text`` raises."""
    found = config_errors(text, overrides)
    assert len(found) == 1, found
    return found[0]


__all__ = ["DELETE", "MINIMAL", "SMALL", "config_errors", "config_text", "one_config_error",
           "set_dotted", "spec_of", "write_config"]

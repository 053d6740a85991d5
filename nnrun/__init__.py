"""nnrun: hyperparameter sweeps of fully connected networks on one numpy backpropagation core.

From Python::

    import nnrun
    results = nnrun.sweep("experiments/quickstart.yaml", jobs=2)   # or nnrun.open_results(...)
    model = nnrun.load_model("results/quickstart", trial="best")
    model.predict(X)

``load_model``, ``open_results``, ``sweep`` and ``Results`` (:mod:`nnrun.api`) are imported at
first use (PEP 562), so ``import nnrun`` and ``nnrun --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["Results", "__version__", "load_model", "open_results", "sweep"]

_API = ("Results", "load_model", "open_results", "sweep")


def __getattr__(name: str) -> Any:
    if name in _API:
        # imported by name at first use: the api package imports the driver, which imports
        # __version__ from here (a static import would be a cycle)
        return getattr(importlib.import_module("nnrun.api"), name)
    raise AttributeError(f"module 'nnrun' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])

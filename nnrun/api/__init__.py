"""nnrun from Python, and the commands that use a trained model: ``load_model``,
``open_results`` and ``sweep`` (re-exported as ``nnrun.load_model`` ...), ``nnrun predict``,
``nnrun refit`` and ``nnrun export --format onnx``.

It sits above the driver (``sweep`` runs one) and reads results folders through
:mod:`nnrun.results`; which trial is ``best`` is :mod:`nnrun.results.best`'s one definition.
"""

from nnrun.api.models import load_model
from nnrun.api.results import Results, open_results
from nnrun.api.run import sweep

__all__ = ["Results", "load_model", "open_results", "sweep"]

"""The pictures, drawn one after the other in the house style.

Each picture module holds two functions, as optuna's visualization does: ``gather(sweep, say)``
shapes the data into a small named tuple and draws nothing (None: this sweep has no such
picture), and ``draw(info, out)`` draws that tuple to ``out/FILE_NAME``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from nnrun.views.plots import (
    _decision_regions,
    _gradient_norms,
    _heatmaps,
    _learning_curves,
    _parallel_coordinates,
    _parameter_effects,
    _pareto_front,
)
from nnrun.views.plots._draw import RC
from nnrun.views.report import Picture
from nnrun.views.sweep import SweepResults

PICTURES = (_pareto_front, _learning_curves, _parameter_effects, _heatmaps,
            _parallel_coordinates, _gradient_norms, _decision_regions)
PICTURE_NAMES = tuple(picture.FILE_NAME for picture in PICTURES)


def draw_pictures(sweep: SweepResults, out: Path, say: Callable[[str], None]) -> list[Picture]:
    """Draw each picture this sweep has into ``out``; returns those written, in order."""
    pictures: list[Picture] = []
    with plt.rc_context(RC):
        for picture in PICTURES:
            # Diverged trials hold inf and 1e30: the pictures leave them out of frame, quietly.
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                try:
                    info = picture.gather(sweep, say)
                    if info is not None:
                        pictures.append(picture.draw(info, out))
                finally:
                    plt.close("all")
    return pictures

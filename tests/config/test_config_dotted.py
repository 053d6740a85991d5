"""nnrun.config.dotted: dotted paths into a config, and the keys a sweep may vary."""

from __future__ import annotations

import pytest

from nnrun.config import get_dotted, set_dotted, sweepable_keys


def test_get_and_set_dotted():
    d = {"a": {"b": 1}, "c": None}
    assert get_dotted(d, "a.b") == 1
    set_dotted(d, "a.b", 2)
    set_dotted(d, "c.d.e", 3)
    set_dotted(d, "f", 4)
    assert d == {"a": {"b": 2}, "c": {"d": {"e": 3}}, "f": 4}
    with pytest.raises(KeyError):
        get_dotted(d, "a.x")
    with pytest.raises(TypeError):
        set_dotted(d, "f.g", 1)


def test_sweepable_keys():
    keys = sweepable_keys()
    assert "model.hidden" in keys and "data.noise" in keys and "train.batch_size" in keys
    assert "optimizer.betas" in keys and "train.early_stopping" in keys
    assert "train.early_stopping.patience" in keys
    assert "seed" not in keys and "name" not in keys and "model" not in keys
    assert not any(key.startswith("sweep") for key in keys)

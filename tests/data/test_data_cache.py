"""nnrun.data.cache: a process builds each data set once, known by vocabulary.data_key and the
dtype."""

import numpy as np
import pytest
from helpers.datasets import all_arrays

from nnrun.data import cache, load_dataset


@pytest.fixture
def builds(monkeypatch) -> list[dict]:
    """An empty cache, and the data: blocks it builds from then on."""
    monkeypatch.setattr(cache, "_DATASETS", {})
    built = []

    def counting(spec, *args, **kwargs):
        built.append(spec)
        return load_dataset(spec, *args, **kwargs)

    monkeypatch.setattr(cache, "load_dataset", counting)
    return built


def test_the_same_block_is_built_once_whatever_its_key_order(builds):
    first = cache.get_dataset({"dataset": "moons", "n_samples": 100})
    assert cache.get_dataset({"n_samples": 100, "dataset": "moons"}) is first
    assert len(builds) == 1
    assert cache.get_dataset({"dataset": "moons", "n_samples": 101}) is not first
    assert len(builds) == 2


def test_another_dtype_is_cast_from_the_float64_set(builds):
    spec = {"dataset": "moons", "n_samples": 100}
    single = cache.get_dataset(spec, dtype="float32")
    double = cache.get_dataset(spec)
    assert len(builds) == 1
    for low, high in zip(all_arrays(single), all_arrays(double), strict=True):
        assert low.dtype == np.float32 and low.flags.c_contiguous
        np.testing.assert_array_equal(low, high.astype(np.float32))
    assert cache.get_dataset(spec, dtype="float32") is single


def test_the_data_seed_and_the_folder_tell_sets_apart(builds, tmp_path):
    spec = {"dataset": "moons", "n_samples": 100}
    default = cache.get_dataset(spec)
    np.testing.assert_array_equal(default.X_train, load_dataset(spec, 0).X_train)
    seeded = cache.get_dataset({**spec, "seed": 4})
    np.testing.assert_array_equal(seeded.X_train, load_dataset(spec, 4).X_train)
    assert cache.get_dataset(spec, tmp_path) is not default
    assert cache.get_dataset(spec, str(tmp_path)) is cache.get_dataset(spec, tmp_path)
    assert len(builds) == 3


def test_a_set_given_to_the_cache_is_not_built_again(builds, tmp_path):
    spec = {"dataset": "csv", "path": "sent.csv", "target": "label"}
    sent = load_dataset({"dataset": "moons", "n_samples": 100}, 0)
    cache.cache_dataset(spec, tmp_path, sent)
    assert cache.get_dataset(spec, tmp_path) is sent
    assert cache.get_dataset(spec, tmp_path, "float32").X_train.dtype == np.float32
    assert builds == []

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
    monkeypatch.setattr(cache, "_STAMPS", {})
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


def _write_csv(path, step: int = 1, rows: int = 60) -> None:
    """A small classification csv; another ``step`` (1 to 6) is other data in a file of the
    same size, more ``rows`` a longer file."""
    lines = "".join(f"{i * step % 7},{i % 5},{i % 2}\n" for i in range(rows))
    path.write_text("a,b,label\n" + lines)


def _touch_later(path) -> None:
    import os

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def test_a_csv_that_changed_on_disk_is_read_again_where_a_command_starts(builds, tmp_path):
    spec = {"dataset": "csv", "path": "d.csv", "target": "label"}
    _write_csv(tmp_path / "d.csv")
    first = cache.get_dataset(spec, tmp_path, fresh=True)
    single = cache.get_dataset(spec, tmp_path, "float32")
    assert cache.get_dataset(spec, tmp_path, fresh=True) is first and len(builds) == 1
    _write_csv(tmp_path / "d.csv", step=3)  # the same size: only its time tells
    _touch_later(tmp_path / "d.csv")
    again = cache.get_dataset(spec, tmp_path, fresh=True)
    assert len(builds) == 2
    new = load_dataset(spec, 0, tmp_path)
    np.testing.assert_array_equal(again.X_train, new.X_train)
    assert not np.array_equal(again.X_train, first.X_train)
    cast = cache.get_dataset(spec, tmp_path, "float32")
    assert cast is not single
    np.testing.assert_array_equal(cast.X_train, new.X_train.astype(np.float32))
    assert len(cache._DATASETS) == 2  # the old version and its cast are gone
    _write_csv(tmp_path / "d.csv", rows=70)  # longer: its size tells
    assert cache.get_dataset(spec, tmp_path, fresh=True) is not again and len(builds) == 3


def test_the_trials_of_a_sweep_keep_the_copy_its_checks_read(builds, tmp_path):
    """A file edited while a sweep runs: its trials (the workers, and the driver with --jobs 1)
    look the set up without ``fresh`` and all train on the data the checks read."""
    spec = {"dataset": "csv", "path": "d.csv", "target": "label"}
    _write_csv(tmp_path / "d.csv")
    checked = cache.get_dataset(spec, tmp_path, fresh=True)
    _write_csv(tmp_path / "d.csv", step=3)
    _touch_later(tmp_path / "d.csv")
    assert cache.get_dataset(spec, tmp_path) is checked
    assert len(builds) == 1


def test_a_set_sent_to_a_worker_that_kept_an_older_copy_takes_its_place(builds, tmp_path):
    """A dask worker kept from an earlier sweep: the new set the driver sends is the one
    served, whether the worker sees the file (it changed: another key) or not (then it cannot
    tell, and the sender has just read it)."""
    spec = {"dataset": "csv", "path": "d.csv", "target": "label"}
    older = load_dataset({"dataset": "moons", "n_samples": 100}, 0)
    newer = load_dataset({"dataset": "moons", "n_samples": 100}, 1)
    cache.cache_dataset(spec, tmp_path, older)  # no such file here: another machine's
    assert cache.get_dataset(spec, tmp_path) is older
    cache.cache_dataset(spec, tmp_path, newer)
    assert cache.get_dataset(spec, tmp_path) is newer
    assert cache.get_dataset(spec, tmp_path, "float32").X_train.dtype == np.float32
    _write_csv(tmp_path / "d.csv")  # a worker that sees the file
    cache.cache_dataset(spec, tmp_path, older)
    _write_csv(tmp_path / "d.csv", rows=70)
    cache.cache_dataset(spec, tmp_path, newer)
    assert cache.get_dataset(spec, tmp_path) is newer
    assert builds == []


def test_the_same_set_sent_again_keeps_its_casts(builds, tmp_path):
    """A dask worker gets the scattered set with every trial: its float32 copy is made once."""
    spec = {"dataset": "csv", "path": "d.csv", "target": "label"}  # no such file here
    sent = load_dataset({"dataset": "moons", "n_samples": 100}, 0)
    cache.cache_dataset(spec, tmp_path, sent)
    single = cache.get_dataset(spec, tmp_path, "float32")
    cache.cache_dataset(spec, tmp_path, sent)
    assert cache.get_dataset(spec, tmp_path, "float32") is single
    assert builds == []

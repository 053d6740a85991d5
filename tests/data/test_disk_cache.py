"""nnrun.data.disk_cache: generated built-in sets kept on disk across sweeps, keyed by what
makes them; a changed key misses, a damaged file is rebuilt, two writers leave a valid file."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.cli import invoke

from nnrun.data import _builtin, disk_cache, load_dataset


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    """An empty cache folder of this test, and an empty MNIST-1D cache of this process."""
    monkeypatch.setenv("NNRUN_CACHE_DIR", str(tmp_path / "cache"))
    _builtin.mnist1d_arrays.cache_clear()
    yield tmp_path / "cache" / "data"
    _builtin.mnist1d_arrays.cache_clear()


def counting_builder(calls: list[int], value: float = 1.0):
    def build() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"x": np.full((50, 4), value), "y": np.arange(50)}
    return build


def key_of(seed: int = 0, version: str = "1.0") -> dict:
    return {"dataset": "toy", "arguments": {"seed": seed}, "versions": {"toy": version},
            "format": disk_cache.FORMAT}


def test_an_entry_is_built_once_then_read_back(cache: Path) -> None:
    calls: list[int] = []
    first = disk_cache.cached_arrays(key_of(), counting_builder(calls))
    again = disk_cache.cached_arrays(key_of(), counting_builder(calls))
    assert calls == [1] and len(list(cache.glob("toy-*.npz"))) == 1
    for name in ("x", "y"):
        np.testing.assert_array_equal(first[name], again[name])
        assert again[name].dtype == first[name].dtype and not again[name].flags.writeable


@pytest.mark.parametrize("changed", [key_of(seed=1), key_of(version="1.1"),
                                     {**key_of(), "format": disk_cache.FORMAT + 1}])
def test_a_changed_argument_or_version_misses(cache: Path, changed: dict) -> None:
    calls: list[int] = []
    disk_cache.cached_arrays(key_of(), counting_builder(calls))
    disk_cache.cached_arrays(changed, counting_builder(calls, 2.0))
    assert calls == [1, 1] and len(list(cache.glob("toy-*.npz"))) == 2
    assert disk_cache.cached_arrays(changed, counting_builder(calls))["x"][0, 0] == 2.0
    assert len(calls) == 2


def test_the_key_names_the_package_versions(monkeypatch) -> None:
    key = disk_cache.entry_key("mnist1d", {"seed": 4}, ("mnist1d",))
    assert key["versions"]["numpy"] == np.__version__ and key["versions"]["mnist1d"]
    monkeypatch.setattr(disk_cache, "package_version", lambda name: "0.0.0")
    assert disk_cache.entry_path(disk_cache.entry_key("mnist1d", {"seed": 4}, ("mnist1d",))) \
        != disk_cache.entry_path(key)


def damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def damage_flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    where = data.index(np.float64(1.0).tobytes()) + 3  # inside x's values: the checksum fails
    data[where] ^= 0x01
    path.write_bytes(bytes(data))


def damage_empty(path: Path) -> None:
    path.write_bytes(b"")


def damage_foreign_key(path: Path) -> None:
    other = key_of(seed=99)
    disk_cache.write_entry(path, other, {"x": np.zeros((50, 4)), "y": np.arange(50)})


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip_a_byte, damage_empty,
                                    damage_foreign_key])
def test_a_damaged_or_foreign_file_is_rebuilt_never_trusted(cache: Path, damage) -> None:
    calls: list[int] = []
    disk_cache.cached_arrays(key_of(), counting_builder(calls))
    (path,) = cache.glob("toy-*.npz")
    damage(path)
    assert disk_cache.read_entry(path, key_of()) is None
    rebuilt = disk_cache.cached_arrays(key_of(), counting_builder(calls))
    assert calls == [1, 1] and np.all(rebuilt["x"] == 1.0)
    assert disk_cache.read_entry(path, key_of()) is not None  # and the entry is good again


def _write_many(folder: str, value: float) -> None:
    import os

    os.environ["NNRUN_CACHE_DIR"] = folder
    key = key_of()
    arrays = {"x": np.full((20_000, 8), value), "y": np.arange(20_000)}
    for _ in range(15):
        disk_cache.write_entry(disk_cache.entry_path(key), key, arrays)


def test_two_writers_at_once_leave_a_valid_file(cache: Path) -> None:
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    writers = [context.Process(target=_write_many, args=(str(cache.parent), value))
               for value in (1.0, 2.0)]
    for writer in writers:
        writer.start()
    seen = 0
    while any(writer.is_alive() for writer in writers):  # a reader meanwhile sees whole files
        path = disk_cache.entry_path(key_of())
        if path.exists():
            arrays = disk_cache.read_entry(path, key_of())
            assert arrays is not None and np.all(arrays["x"] == arrays["x"][0, 0])
            seen += 1
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    arrays = disk_cache.read_entry(disk_cache.entry_path(key_of()), key_of())
    assert arrays is not None and arrays["x"][0, 0] in (1.0, 2.0)
    assert np.all(arrays["x"] == arrays["x"][0, 0])
    assert [p.name for p in cache.iterdir()] == [disk_cache.entry_path(key_of()).name]


def test_a_cache_folder_that_cannot_be_written_only_costs_the_speed(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("NNRUN_CACHE_DIR", str(tmp_path / "a-file"))
    calls: list[int] = []
    assert disk_cache.cached_arrays(key_of(), counting_builder(calls))["x"].shape == (50, 4)
    assert calls == [1]


def test_the_folder_is_the_env_var_or_the_user_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NNRUN_CACHE_DIR", str(tmp_path / "mine"))
    assert disk_cache.data_dir() == tmp_path / "mine" / "data"
    monkeypatch.delenv("NNRUN_CACHE_DIR")
    monkeypatch.setitem(sys.modules, "platformdirs", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform == "linux":
        assert disk_cache.cache_dir() == tmp_path / "xdg" / "nnrun"


def test_mnist1d_from_the_cache_is_the_generated_one_and_needs_no_package(cache, monkeypatch):
    spec = {"dataset": "mnist1d", "seed": 5, "val_fraction": 0.1}
    generated = load_dataset(spec, 0)  # an empty cache: generated, then stored
    _builtin.mnist1d_arrays.cache_clear()

    def no_generating(seed):
        raise AssertionError("MNIST-1D was generated although the cache holds it")

    monkeypatch.setattr(_builtin, "_generate_mnist1d", no_generating)
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    cached = load_dataset(spec, 0)
    for name in ("X_train", "Y_train", "X_val", "Y_val", "X_test", "Y_test"):
        np.testing.assert_array_equal(getattr(cached, name), getattr(generated, name))
        assert getattr(cached, name).dtype == getattr(generated, name).dtype
    assert cached.feature_names == generated.feature_names
    assert cached.classes == generated.classes


def test_digits_from_the_cache_is_the_package_one(cache, monkeypatch) -> None:
    generated = load_dataset({"dataset": "digits"}, 0)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    cached = load_dataset({"dataset": "digits"}, 0)
    np.testing.assert_array_equal(cached.X_train, generated.X_train)
    assert cached.feature_names == generated.feature_names


def test_cache_info_and_clear(cli, cache: Path) -> None:
    disk_cache.cached_arrays(key_of(), counting_builder([]))
    (cache / "toy-leftover.tmp").write_text("half a write")
    info = invoke(cli, "cache", "info")
    assert info.exit_code == 0, info.output
    assert f"{cache}: 2 files" in info.stdout
    assert "{'seed': 0} {'toy': '1.0'}" in info.stdout
    assert "unreadable (rebuilt when next needed)" in info.stdout
    cleared = invoke(cli, "cache", "clear")
    assert cleared.exit_code == 0 and f"{cache}: removed 2 files" in cleared.stdout
    assert not cache.exists()
    assert "0 files" in invoke(cli, "cache", "info").stdout

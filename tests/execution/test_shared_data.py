"""nnrun.execution.shared_data: a sweep's data set is built once, in the driver, and reaches the
loky workers as memory-mapped files; the results are the same whichever way it arrives, with
or without the on-disk cache, whatever --jobs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from helpers.configs import write_config
from helpers.workers import without_building_data

from nnrun.config import load_config
from nnrun.data import _builtin, cache, load_dataset
from nnrun.driver.sweep import run_sweep
from nnrun.execution import shared_data
from nnrun.execution.shared_data import SharedData

ARRAYS = ("X_train", "Y_train", "X_val", "Y_val", "X_test", "Y_test")
MNIST1D = {"data": {"dataset": "mnist1d", "seed": 3, "val_fraction": 0.1},
           "model": {"hidden": [8]}, "train": {"epochs": 2, "batch_size": 100},
           "sweep": {"method": "grid", "parameters": {"optimizer.lr": [0.05, 0.1, 0.2]}}}


def test_a_saved_data_set_loads_back_equal_read_only_and_mapped(tmp_path: Path) -> None:
    dataset = load_dataset({"dataset": "moons", "n_samples": 100, "test_fraction": 0.0}, 0)
    shared_data.save_dataset(dataset, tmp_path / "set")
    loaded = shared_data.load_dataset(tmp_path / "set")
    assert (loaded.name, loaded.task, loaded.classes, loaded.feature_names) == (
        dataset.name, dataset.task, dataset.classes, dataset.feature_names)
    for name in ARRAYS:
        original, mapped = getattr(dataset, name), getattr(loaded, name)
        np.testing.assert_array_equal(mapped, original)
        assert mapped.dtype == original.dtype and mapped.shape == original.shape
        assert type(mapped) is np.ndarray and not mapped.flags.writeable
    assert len(loaded.X_test) == 0  # an empty split is kept, not mapped
    assert isinstance(loaded.X_train.base, np.memmap)


def test_each_data_set_is_written_once_and_removed_at_the_end(tmp_path: Path) -> None:
    spec = load_config(write_config(tmp_path / "exp.yaml"))
    from nnrun.driver.preflight import preflight
    from nnrun.execution import Task

    plan = preflight(spec)
    shared = SharedData()
    tasks = [Task(trial.id, trial.config, base_dir=plan.base_dir) for trial in plan.trials]
    folders = {shared.folder_for(task) for task in tasks}
    assert len(folders) == 1 and None not in folders
    folder = Path(folders.pop())
    assert folder.is_dir() and shared.root is not None
    assert shared.folder_for(Task("no-data", {"seed": 1})) is None
    shared.close()
    assert not folder.exists()


def test_the_folder_of_a_killed_driver_is_removed_by_the_next_sweep(tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.setattr(shared_data, "_parent", lambda: str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    orphan = tmp_path / f"nnrun-data-{int(dead.stdout)}-abc"
    (orphan / "0").mkdir(parents=True)
    alive = tmp_path / "nnrun-data-1-abc"  # pid 1 is always alive
    alive.mkdir()
    from nnrun.execution import Task
    from nnrun.search import expand

    trial = expand(load_config(write_config(tmp_path / "exp.yaml")))[0]
    shared = SharedData()
    assert shared.folder_for(Task(trial.id, trial.config, base_dir=str(tmp_path))) is not None
    assert not orphan.exists() and alive.exists()
    assert Path(shared.root).parent == tmp_path and str(os.getpid()) in shared.root.name
    shared.close()


def test_loky_workers_train_on_the_drivers_data_set_without_building_it(tmp_path: Path) -> None:
    spec = load_config(write_config(tmp_path / "exp.yaml"))
    outcome = run_sweep(spec, out=tmp_path / "out", jobs=2, live=False,
                        log=lambda message: None, worker=without_building_data)
    assert outcome.counts == {"ok": 4}, outcome
    records = [json.loads(p.read_text()) for p in outcome.folder.glob("trials/*/result.json")]
    assert {record["traceback"] for record in records} == {"shared"}


def sweep_arrays(config: Path, out: Path, jobs: int) -> dict[str, tuple]:
    """Every trial's final metrics (but train_seconds, a measured time) and weights, by trial
    id."""
    outcome = run_sweep(load_config(config), out=out, jobs=jobs, live=False,
                        log=lambda message: None)
    assert outcome.counts == {"ok": 3}, outcome
    found = {}
    for trial in outcome.folder.glob("trials/*"):
        record = json.loads((trial / "result.json").read_text())
        with np.load(trial / "weights.npz") as weights:
            final = {k: v for k, v in record["final"].items() if k != "train_seconds"}
            found[trial.name] = (final, [weights[k].tobytes() for k in weights.files])
    return found


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_same_results_with_and_without_the_cache_and_with_any_jobs(
        tmp_path: Path, monkeypatch, dtype: str) -> None:
    monkeypatch.setenv("NNRUN_CACHE_DIR", str(tmp_path / "cache"))
    _builtin.mnist1d_arrays.cache_clear()
    monkeypatch.setattr(cache, "_DATASETS", {})  # this process builds it again
    config = write_config(tmp_path / "exp.yaml", changes={**MNIST1D, "train.dtype": dtype})
    cold = sweep_arrays(config, tmp_path / "cold", jobs=1)  # generated: nothing cached yet
    assert list((tmp_path / "cache" / "data").glob("mnist1d-*.npz"))
    _builtin.mnist1d_arrays.cache_clear()
    monkeypatch.setattr(cache, "_DATASETS", {})
    warm = sweep_arrays(config, tmp_path / "warm", jobs=2)  # read from the cache, shared
    monkeypatch.setattr(SharedData, "folder_for", lambda self, task: None)
    built = sweep_arrays(config, tmp_path / "built", jobs=2)  # every worker builds its own
    assert cold == warm == built and len(cold) == 3

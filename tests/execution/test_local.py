"""The executors: results stream back, a killed worker fails only the trial that killed it."""

from __future__ import annotations

import pytest
from helpers.workers import crash_on_x3, quick

from nnrun.execution import ListSource, Task
from nnrun.execution.local import WORKER_DIED, iter_inline, iter_loky
from nnrun.results.record import TrialRecord


def make_tasks(n: int, sleep: float = 0.0) -> list[Task]:
    return [Task(f"t{i}", {"seed": i}, {"x": i, "sleep": sleep}) for i in range(n)]


def test_inline_runs_every_task_in_order() -> None:
    results = list(iter_inline(ListSource(make_tasks(4)), quick))
    assert [task.trial_id for task, _ in results] == ["t0", "t1", "t2", "t3"]
    assert all(result.record.status == "ok" for _, result in results)


def test_loky_runs_every_task_once_on_two_processes() -> None:
    results = list(iter_loky(ListSource(make_tasks(6, sleep=0.05)), 2, quick))
    assert sorted(task.trial_id for task, _ in results) == [f"t{i}" for i in range(6)]
    assert len({result.pid for _, result in results}) == 2


def test_a_trial_that_kills_its_worker_fails_alone_and_the_rest_finish() -> None:
    results = dict((task.trial_id, result)
                   for task, result in iter_loky(ListSource(make_tasks(6, 0.05)), 2, crash_on_x3))
    assert sorted(results) == [f"t{i}" for i in range(6)]
    assert results["t3"].record.status == "failed"
    assert results["t3"].record.error == WORKER_DIED
    assert all(results[f"t{i}"].record.status == "ok" for i in (0, 1, 2, 4, 5))


def test_closing_the_generator_early_stops_the_workers() -> None:
    results = iter_loky(ListSource(make_tasks(8, sleep=0.2)), 2, quick)
    first = next(results)
    results.close()
    assert first[1].record.status == "ok"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_source_can_add_tasks_after_results(jobs: int) -> None:
    class Doubling(ListSource):
        """Each result of a first-round task adds a second-round task (as halving does)."""

        def tell(self, task: Task, record: TrialRecord) -> None:
            if not task.trial_id.startswith("r2"):
                self._tasks.append(Task("r2" + task.trial_id, {"seed": 0}, task.params))

    source = Doubling(make_tasks(3))
    runner = iter_inline(source, quick) if jobs == 1 else iter_loky(source, jobs, quick)
    seen = []
    for task, result in runner:
        source.tell(task, result.record)
        seen.append(task.trial_id)
    assert sorted(seen) == sorted(["t0", "t1", "t2", "r2t0", "r2t1", "r2t2"])


def test_a_worker_whose_driver_is_not_its_parent_exits_when_the_driver_does() -> None:
    """exit_with_driver's other path (a fork server made the worker): it watches the driver's
    pid itself. The path where the driver is the parent is tested on a SIGKILLed sweep."""
    import subprocess
    import sys

    from helpers.processes import still_running

    driver = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    worker = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from nnrun.execution.local import "
                               "exit_with_driver; exit_with_driver(int(sys.argv[1]), 0.05); "
                               "time.sleep(120)", str(driver.pid)])
    try:
        assert still_running([worker.pid], 1.0) == [worker.pid]  # its driver is alive
        driver.kill()
        driver.wait()
        assert worker.wait(timeout=30) == 1
    finally:
        for process in (driver, worker):
            process.kill()
            process.wait()


def _worker_pids() -> set[int]:
    from joblib.externals.loky import get_reusable_executor

    from nnrun.execution.local import _executor

    executor = _executor(2)
    assert executor is get_reusable_executor(max_workers=2, reuse=True)
    return set(executor._processes)  # loky's own table of its worker processes


def test_workers_started_early_are_the_ones_the_trials_run_on() -> None:
    import sys

    from nnrun.execution import start_workers

    start_workers(2)
    started = _worker_pids()
    assert len(started) == 2  # started before any trial was asked for
    results = list(iter_loky(ListSource(make_tasks(4, sleep=0.05)), 2, quick))
    assert {result.pid for _, result in results} <= started

    def imported(task: Task):
        result = quick(task)
        result.record.error = str("nnrun.core.training" in sys.modules)
        return result

    # a stand-in worker imports no trainer: the initializer did
    seen = {result.record.error for _, result in iter_loky(ListSource(make_tasks(2)), 2,
                                                              imported)}
    assert seen == {"True"}


@pytest.mark.parametrize("trials", [2, 0])
def test_idle_workers_are_killed_at_the_end_without_loky_tripping_up(trials: int) -> None:
    import threading
    import time

    from nnrun.execution import start_workers, stop_idle_workers

    start_workers(2)
    pids = _worker_pids()
    list(iter_loky(ListSource(make_tasks(trials)), 2, quick))  # 0: a sweep with nothing to do
    errors: list[BaseException] = []
    threading.excepthook, previous = (lambda args: errors.append(args.exc_value),
                                      threading.excepthook)
    try:
        stop_idle_workers()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.05)
    finally:
        threading.excepthook = previous
    assert not any(_alive(pid) for pid in pids)
    assert errors == []  # no traceback from loky's manager thread
    results = list(iter_loky(ListSource(make_tasks(2)), 2, quick))  # a fresh pool next time
    assert not {result.pid for _, result in results} & pids


def _alive(pid: int) -> bool:
    import os

    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return waited == 0


def test_the_command_ends_its_workers_cleanly_also_with_nothing_to_train(tmp_path) -> None:
    from helpers.cli import run_nnrun
    from helpers.configs import SMALL, write_config

    config = write_config(tmp_path / "small.yaml", SMALL)
    for _ in range(2):  # the second run resumes everything: its workers had nothing to do
        done = run_nnrun("sweep", config, "--jobs", "2", "--out", tmp_path / "out")
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "Exception in thread" not in done.stderr

"""Worker functions for runner tests: stand-ins for train_trial that sleep, fail or crash."""

from __future__ import annotations

import os
import signal
import time
from typing import Any


def result_for(task: Any, status: str = "ok", **extra: Any) -> dict[str, Any]:
    value = float(task.params.get("x", 0))
    return {"trial": task.trial_id, "seed": task.config.get("seed"), "params": task.params,
            "status": status, "error": None, "traceback": None,
            "history": [{"epoch": 1, "train_loss": value, "val_loss": value, "lr": 0.1,
                         "grad_norm_1": 1.0, "wall_s": 0.01}],
            "final": {"train_loss": value, "val_loss": value, "test_loss": value},
            "best_epoch": 1, "epochs_run": 1, "wall_s": 0.01, "train_s": 0.01,
            "task": "regression", "sizes": [1, 1], "pid": os.getpid(), **extra}


def quick(task: Any) -> dict[str, Any]:
    time.sleep(float(task.extra.get("sleep", 0.0)))
    return result_for(task)


def crash_on_x3(task: Any) -> dict[str, Any]:
    """Kills its own worker process whenever it runs the trial with x == 3."""
    time.sleep(float(task.extra.get("sleep", 0.0)))
    if task.params.get("x") == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return result_for(task)

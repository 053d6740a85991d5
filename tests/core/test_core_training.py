"""The Trainer: metrics, early stopping, divergence, resuming; and networks that learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnrun.core import Network, Trainer, make_optimizer, make_schedule


def blobs(n_samples: int, seed: int, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Three overlapping Gaussian blobs in 2-D, one-hot labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n_samples)
    centres = np.array([[0.0, 1.0], [1.0, -0.5], [-1.0, -0.5]])
    X = centres[labels] + noise * rng.normal(size=(n_samples, 2))
    return X, np.eye(3)[labels]


def spirals(n_per_arm: int, arms: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The classic interleaved spirals (cs231n), a little noise."""
    rng = np.random.default_rng(seed)
    X, labels = [], []
    for arm in range(arms):
        radius = np.linspace(0.0, 1.0, n_per_arm)
        theta = np.linspace(arm * 4.0, (arm + 1) * 4.0, n_per_arm) + rng.normal(0, 0.2, n_per_arm)
        X.append(np.c_[radius * np.sin(theta), radius * np.cos(theta)])
        labels += [arm] * n_per_arm
    return np.concatenate(X), np.eye(arms)[labels]


def make_trainer(seed=0, early_stopping=None, optimizer="adam", epochs=6, **kwargs):
    X, Y = blobs(90, seed=1)
    X_val, Y_val = blobs(40, seed=2)
    net = Network([2, 8, 3], activation="tanh", loss="cross_entropy", seed=seed)
    opt = make_optimizer(optimizer, lr=0.05, weight_decay=1e-3)
    return Trainer(net, opt, X, Y, X_val, Y_val, batch_size=16, epochs=epochs,
                   early_stopping=early_stopping, seed=seed, **kwargs)


def without_wall_time(history):
    return [{key: value for key, value in record.items() if key != "wall_s"} for record in history]


def test_history_records_every_metric():
    seen = []
    trainer = make_trainer(schedule=make_schedule("exponential", 0.05, 6, gamma=0.5))
    assert trainer.run(callback=seen.append) == "ok"
    assert trainer.epoch == 6 and len(trainer.history) == 6 and seen == trainer.history
    record = trainer.history[-1]
    assert list(record) == ["epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy",
                            "lr", "grad_norm_1", "grad_norm_2", "wall_s"]
    assert [r["lr"] for r in trainer.history] == pytest.approx([0.05 * 0.5**e for e in range(6)])
    val_loss = trainer.net.evaluate(trainer.X_val, trainer.Y_val)["loss"]
    assert record["val_loss"] == pytest.approx(val_loss)
    assert record["grad_norm_1"] > 0 and record["grad_norm_2"] > 0
    assert 0.0 <= record["train_accuracy"] <= 1.0
    assert trainer.history[0]["wall_s"] <= record["wall_s"]
    assert trainer.history[0]["train_loss"] > record["train_loss"]
    assert trainer.best_epoch == 1 + int(np.argmin([r["val_loss"] for r in trainer.history]))


def test_epoch_metrics_come_from_the_batches():
    """Full-batch plain SGD: the epoch's train loss, accuracy and grad norm are the batch's."""
    X, Y = blobs(30, seed=3)
    net = Network([2, 4, 3], activation="sigmoid", loss="cross_entropy")
    cost_before = net.cost(X, Y)
    accuracy_before = net.evaluate(X, Y)["accuracy"]
    _, dW, _ = net.gradients(X, Y)
    trainer = Trainer(net, make_optimizer("sgd", lr=0.1), X, Y, batch_size=30, epochs=1)
    trainer.run()
    record = trainer.history[0]
    assert record["train_loss"] == pytest.approx(cost_before)
    assert record["train_accuracy"] == pytest.approx(accuracy_before)
    assert record["grad_norm_1"] == pytest.approx(np.linalg.norm(dW[0]))
    assert "val_loss" not in record and trainer.best_epoch == 1


def test_last_smaller_batch_is_kept_and_batches_are_reshuffled():
    X, Y = blobs(10, seed=0)
    trainer = Trainer(Network([2, 3], loss="cross_entropy"), make_optimizer("adam", lr=0.01),
                      X, Y, batch_size=4, epochs=2)
    batches = []
    original = trainer.net.backprop
    trainer.net.backprop = lambda X_batch, Y_batch: batches.append(X_batch.copy()) or original(
        X_batch, Y_batch
    )
    trainer.run()
    assert [len(batch) for batch in batches] == [4, 4, 2, 4, 4, 2]
    assert trainer.opt.steps == 6
    first, second = np.concatenate(batches[:3]), np.concatenate(batches[3:])
    assert sorted(map(tuple, first)) == sorted(map(tuple, X))  # every sample once an epoch
    assert not np.array_equal(first, second)


@pytest.mark.parametrize(("n_outputs", "batch_size"), [(3, 16), (1, 16), (3, 10**9)])
def test_batches_gathered_one_by_one_train_exactly_as_a_shuffled_copy(monkeypatch, n_outputs,
                                                                       batch_size):
    """Large training sets gather each batch's rows in turn instead of copying the whole set
    in shuffled order (training.GATHER_BYTES): the numbers must not change by a bit."""
    from nnrun.core import training

    X, Y = blobs(103, seed=4)  # a last, smaller batch too
    if n_outputs == 1:
        Y = Y[:, :1]

    def train(gather_bytes):
        monkeypatch.setattr(training, "GATHER_BYTES", gather_bytes)
        net = Network([2, 5, n_outputs], activation="relu", loss="cross_entropy",
                      dtype="float32", seed=3)
        trainer = Trainer(net, make_optimizer("momentum", lr=0.05), X, Y,
                          batch_size=batch_size, epochs=3, seed=5)  # 10**9: one whole batch
        assert trainer._batches.gather == (gather_bytes == 0)
        if trainer._batches.gather:  # never more rows than there are samples
            assert len(trainer._batches.X_batch) == min(batch_size, len(X))
        trainer.run()
        return net.parameters.copy(), without_wall_time(trainer.history)

    copied, gathered = train(2**40), train(0)
    np.testing.assert_array_equal(copied[0], gathered[0])
    assert copied[1] == gathered[1]


def test_regression_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]])
    net = Network([3, 1], loss="mse", task="regression")
    trainer = Trainer(net, make_optimizer("sgd", lr=0.1), X, Y, X, Y, batch_size=8, epochs=30)
    trainer.run()
    assert "train_accuracy" not in trainer.history[-1]
    assert trainer.history[-1]["val_loss"] < 1e-6


def test_huge_learning_rate_ends_diverged_without_warnings():
    X, Y = blobs(64, seed=0)
    net = Network([2, 32, 32, 3], activation="relu", loss="mse", task="regression")
    trainer = Trainer(net, make_optimizer("sgd", lr=1e6), X, Y * 100, X, Y * 100,
                      batch_size=8, epochs=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status = trainer.run()
    assert status == "diverged" == trainer.status
    assert trainer.epoch < 50
    assert not np.isfinite(trainer.history[-1]["train_loss"])
    assert trainer.run() == "diverged" and len(trainer.history) == trainer.epoch


def test_early_stopping_restores_the_best_weights():
    # a wide network on few noisy samples overfits: val_loss turns up
    X, Y = blobs(20, seed=5, noise=1.5)
    X_val, Y_val = blobs(200, seed=6, noise=1.5)
    net = Network([2, 64, 3], activation="tanh", loss="cross_entropy")
    snapshots = {}
    trainer = Trainer(net, make_optimizer("adam", lr=0.05), X, Y, X_val, Y_val, batch_size=5,
                      epochs=300, early_stopping={"patience": 5, "monitor": "val_loss"})
    status = trainer.run(callback=lambda r: snapshots.update({r["epoch"]: net.parameters.copy()}))
    assert status == "ok" and trainer.stopped_early
    best = trainer.best_epoch
    assert trainer.epoch == best + 5 < 300
    losses = [record["val_loss"] for record in trainer.history]
    assert losses[best - 1] == min(losses)
    np.testing.assert_array_equal(net.parameters, snapshots[best])
    assert net.evaluate(X_val, Y_val)["loss"] == pytest.approx(losses[best - 1])


def test_early_stopping_on_accuracy_maximises():
    trainer = make_trainer(early_stopping={"patience": 100, "monitor": "val_accuracy"}, epochs=8)
    trainer.run()
    accuracies = [record["val_accuracy"] for record in trainer.history]
    assert accuracies[trainer.best_epoch - 1] == max(accuracies)
    assert accuracies.index(max(accuracies)) == trainer.best_epoch - 1  # the first of the best
    assert not trainer.stopped_early


def test_bad_early_stopping_settings():
    with pytest.raises(ValueError, match="cannot monitor 'val_loss'"):
        Trainer(Network([2, 3]), make_optimizer("sgd", lr=0.1), *blobs(10, 0), batch_size=5,
                epochs=2, early_stopping={"patience": 2})
    with pytest.raises(ValueError, match="patience"):
        make_trainer(early_stopping={"monitor": "val_loss"})


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "adagrad"])
def test_resume_is_bit_identical(optimizer):
    early_stopping = {"patience": 50, "monitor": "val_accuracy"}
    straight = make_trainer(optimizer=optimizer, early_stopping=early_stopping)
    assert straight.run() == "ok"

    first_half = make_trainer(optimizer=optimizer, early_stopping=early_stopping)
    assert first_half.run(until_epoch=3) == "running"
    state = first_half.state_dict()
    first_half.run()  # the saved state is a copy: carrying on does not change it
    resumed = make_trainer(seed=99, optimizer=optimizer, early_stopping=early_stopping)
    resumed.load_state_dict(state)
    assert resumed.epoch == 3
    assert resumed.run() == "ok"

    np.testing.assert_array_equal(resumed.net.parameters, straight.net.parameters)
    assert without_wall_time(resumed.history) == without_wall_time(straight.history)
    assert resumed.best_epoch == straight.best_epoch
    for ours, theirs in zip(resumed.opt.state, straight.opt.state, strict=True):
        for name in ours:
            np.testing.assert_array_equal(ours[name], theirs[name])


def test_until_epoch_beyond_epochs_is_refused():
    with pytest.raises(ValueError, match="beyond epochs"):
        make_trainer().run(until_epoch=7)


def test_overfits_twenty_samples():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 5)), np.eye(3)[rng.integers(0, 3, 20)]
    net = Network([5, 32, 3], activation="tanh", loss="cross_entropy")
    trainer = Trainer(net, make_optimizer("adam", lr=0.02), X, Y, batch_size=20, epochs=400)
    trainer.run()
    assert trainer.history[-1]["train_loss"] < 0.01
    assert net.evaluate(X, Y)["accuracy"] == 1.0


@pytest.mark.parametrize(("loss", "n_outputs"), [("cross_entropy", 1), ("mse", 1)])
def test_learns_xor(loss, n_outputs):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    net = Network([2, 4, n_outputs], activation="tanh", loss=loss, seed=1)
    trainer = Trainer(net, make_optimizer("adam", lr=0.05), X, Y, batch_size=4, epochs=500)
    trainer.run()
    assert net.evaluate(X, Y)["accuracy"] == 1.0
    np.testing.assert_allclose(net.forward(X), Y, atol=0.2)


@pytest.mark.slow
def test_three_spirals_reach_95_percent_with_tanh():
    X, Y = spirals(100, arms=3, seed=0)
    net = Network([2, 64, 64, 3], activation="tanh", loss="cross_entropy", seed=0,
                  dtype="float32")
    trainer = Trainer(net, make_optimizer("adam", lr=0.01), X, Y, batch_size=32, epochs=400,
                      seed=0)
    assert trainer.run() == "ok"
    assert trainer.history[-1]["train_accuracy"] >= 0.95
    assert net.evaluate(X, Y)["accuracy"] >= 0.95


def test_a_checkpoint_of_another_parameter_layout_is_refused() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    Y = np.eye(2)[rng.integers(0, 2, 20)]

    def trainer() -> Trainer:
        net = Network([3, 4, 2], activation="tanh", loss="cross_entropy", seed=0)
        return Trainer(net, make_optimizer("sgd", lr=0.1), X, Y, batch_size=5, epochs=4, seed=0)

    first = trainer()
    first.run(until_epoch=2)
    state = first.state_dict()
    trainer().load_state_dict(state)  # the same layout loads
    del state["layout"]  # as written before the weights were stored transposed
    with pytest.raises(ValueError, match="written by another version of nnrun"):
        trainer().load_state_dict(state)

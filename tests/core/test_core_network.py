"""The network's costs and gradients: finite differences, a per-sample oracle, dtypes, init."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnrun.core import ACTIVATIONS, Network, gradcheck, make_optimizer, reference
from nnrun.core.losses import LOSSES

HIDDEN = ["sigmoid", "tanh", "relu"]
PAIRINGS = [(loss, output) for loss in LOSSES for output in LOSSES[loss]]
RELU_MARGIN = 1e-3  # |z| of every ReLU unit stays this far from the kink at 0


def make_data(net: Network, n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets that suit the network's output: one-hot, 0/1 or real targets."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, net.sizes[0]))
    n_outputs = net.sizes[-1]
    if net.output == "softmax":
        Y = np.eye(n_outputs)[rng.integers(0, n_outputs, n_samples)]
    elif net.output == "sigmoid":
        Y = rng.uniform(0.05, 0.95, size=(n_samples, n_outputs))
    elif net.output == "relu":
        Y = rng.uniform(0.5, 1.5, size=(n_samples, n_outputs))
    else:
        Y = rng.uniform(-0.9, 0.9, size=(n_samples, n_outputs))
    return X, Y


def relu_margin(net: Network, X: np.ndarray) -> float:
    """The smallest |z| over the layers whose activation is ReLU (inf if none)."""
    net.forward(X)
    margins = [
        np.abs(net.last_pass.z[l]).min()
        for l in range(1, net.n_layers + 1)
        if (net.output if l == net.n_layers else net.activation) == "relu"
    ]
    return min(margins, default=math.inf)


def data_away_from_kinks(net: Network, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    for seed in range(200):
        X, Y = make_data(net, n_samples, seed)
        if relu_margin(net, X) > RELU_MARGIN:
            return X, Y
    raise AssertionError("no data set found with every ReLU input away from 0")


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize(("loss", "output"), PAIRINGS)
@pytest.mark.parametrize("activation", HIDDEN)
def test_backprop_matches_central_differences(activation, loss, output, depth):
    n_outputs = 3 if output == "softmax" else 2
    sizes = [3, 5, 4, 4][:depth] + [n_outputs]
    net = Network(sizes, activation=activation, loss=loss, output=output, seed=depth)
    # biases off zero so that they matter in the check too
    for b in net.biases:
        b[...] = np.random.default_rng(7).normal(0.0, 0.3, size=b.shape)
    X, Y = data_away_from_kinks(net, n_samples=6)
    # eps 1e-5 balances truncation (~eps^2) against rounding (~1e-16 / eps)
    assert gradcheck(net, X, Y, eps=1e-5) < 1e-7


def test_gradcheck_catches_a_wrong_derivative(monkeypatch):
    def tanh_network():
        return Network([3, 5, 2], activation="tanh", loss="mse", output="identity",
                       task="regression")

    X, Y = make_data(tanh_network(), 6, seed=0)
    assert gradcheck(tanh_network(), X, Y) < 1e-6
    wrong = ACTIVATIONS["tanh"]._replace(df=lambda z, a, out: np.multiply(a, 0.0, out=out) + 1.0)
    monkeypatch.setitem(ACTIVATIONS, "tanh", wrong)
    assert gradcheck(tanh_network(), X, Y) > 1e-2


def test_gradcheck_refuses_float32():
    net = Network([2, 3, 2], dtype="float32")
    with pytest.raises(ValueError, match="float64"):
        gradcheck(net, np.zeros((2, 2)), np.zeros((2, 2)))


# -- the lecture's equations, one sample at a time (nnrun.core.reference) ----------------------


@pytest.mark.parametrize(("loss", "output"), PAIRINGS)
@pytest.mark.parametrize("activation", HIDDEN)
def test_vectorised_core_matches_per_sample_loop(activation, loss, output):
    sizes = [4, 6, 5, 3]
    net = Network(sizes, activation=activation, loss=loss, output=output, seed=3)
    for b in net.biases:
        b[...] = np.random.default_rng(1).normal(0.0, 0.2, size=b.shape)
    X, Y = make_data(net, 9, seed=4)
    cost, dW, db = net.gradients(X, Y)
    expected_cost, expected_dW, expected_db = reference.gradients(net, X, Y)
    assert cost == pytest.approx(expected_cost, rel=1e-12, abs=1e-12)
    for got, expected in zip(dW + db, expected_dW + expected_db, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# -- costs ---------------------------------------------------------------------------------


def test_mse_has_no_one_half():
    net = Network([1, 1], loss="mse", output="identity", task="regression")
    net.weights[0][...] = 0.0
    X, Y = np.zeros((2, 1)), np.array([[1.0], [3.0]])
    # C = (1/2) ((0 - 1)^2 + (0 - 3)^2) = 5
    assert net.cost(X, Y) == pytest.approx(5.0)


def test_cross_entropy_is_finite_and_right_for_huge_logits():
    net = Network([1, 3], loss="cross_entropy")
    net.weights[0][...] = [[1000.0], [0.0], [-1000.0]]
    X = np.ones((1, 1))
    # log-softmax of (1000, 0, -1000) at the last class is -2000 (up to e^-1000)
    assert net.cost(X, np.array([[0.0, 0.0, 1.0]])) == pytest.approx(2000.0)
    assert net.cost(X, np.array([[1.0, 0.0, 0.0]])) == pytest.approx(0.0, abs=1e-12)
    binary = Network([1, 1], loss="cross_entropy")
    binary.weights[0][...] = 800.0
    assert binary.cost(X, np.zeros((1, 1))) == pytest.approx(800.0)
    assert binary.cost(-X, np.zeros((1, 1))) == pytest.approx(0.0, abs=1e-12)


def test_sigmoid_never_overflows():
    out = np.empty(3, np.float32)
    with np.errstate(all="raise"):
        ACTIVATIONS["sigmoid"].f(np.array([-1e4, 0.0, 1e4], np.float32), out)
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("offset", [0.0, 50.0, 85.0, 1e3, 1e30, -50.0, -70.0, -100.0, -1e3, -1e30])
def test_softmax_and_its_log_sum_exp_for_any_logits(dtype, offset):
    """Ordinary logits take the unshifted fast path, huge or very negative ones the shifted
    one: either way, without a warning, the float64 results of the textbook formula."""
    rng = np.random.default_rng(0)
    z = (3.0 * rng.standard_normal((6, 4)) + offset).astype(dtype)
    z[0] -= offset  # an ordinary row beside the others
    out, log_sum_exp = np.empty_like(z), np.empty(6, dtype)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        ACTIVATIONS["softmax"].f(z, out, log_sum_exp)
    exact = z.astype(np.float64)
    shifted = np.exp(exact - exact.max(axis=1, keepdims=True))
    rtol = 1e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(out, shifted / shifted.sum(axis=1, keepdims=True), rtol=rtol)
    lse = exact.max(axis=1) + np.log(shifted.sum(axis=1))
    np.testing.assert_allclose(log_sum_exp, lse, rtol=rtol)


def test_initial_cross_entropy_is_log_of_class_count():
    X = np.random.default_rng(0).normal(size=(500, 20))
    Y = np.eye(10)[np.arange(500) % 10]
    small = Network([20, 32, 10], activation="tanh", loss="cross_entropy", init="normal")
    assert small.cost(X, Y) == pytest.approx(math.log(10), abs=1e-3)
    glorot = Network([20, 32, 10], activation="tanh", loss="cross_entropy")
    assert glorot.cost(X, Y) == pytest.approx(math.log(10), rel=0.25)


def test_evaluate_reports_loss_and_accuracy():
    net = Network([2, 2], loss="cross_entropy", output="softmax")
    net.weights[0][...] = np.eye(2)
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [2.0, 0.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    result = net.evaluate(X, Y)
    assert result["accuracy"] == 0.75
    assert result["loss"] == pytest.approx(net.cost(X, Y))
    regression = Network([2, 1], loss="mse", task="regression")
    assert regression.evaluate(X, Y[:, :1])["accuracy"] is None


def test_train_batch_refuses_targets_of_the_wrong_shape():
    """(8, 1) targets for 3 outputs broadcast against a^L: refused, weights left alone."""
    net = Network([2, 4, 3], activation="tanh", loss="mse", task="regression")
    before = net.parameters.copy()
    X = np.random.default_rng(0).normal(size=(8, 2))
    with pytest.raises(ValueError, match=r"Y must have shape \(8, 3\), got \(8, 1\)"):
        net.train_batch(X, np.ones((8, 1)), make_optimizer("sgd", lr=0.1))
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        net.train_batch(X[:, :1], np.ones((8, 3)), make_optimizer("sgd", lr=0.1))
    np.testing.assert_array_equal(net.parameters, before)


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "task", "n_outputs", "output"),
    [
        ("cross_entropy", "classification", 3, "softmax"),
        ("cross_entropy", "classification", 1, "sigmoid"),
        ("mse", "classification", 3, "sigmoid"),
        ("mse", "regression", 2, "identity"),
    ],
)
def test_auto_output(loss, task, n_outputs, output):
    assert Network([2, n_outputs], loss=loss, task=task).output == output


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(loss="cross_entropy", output="identity"), "cross_entropy needs one of softmax, sigm"),
        (dict(loss="cross_entropy", output="relu"), "cannot be used with loss"),
        (dict(loss="mse", output="softmax"), "softmax goes with cross_entropy only"),
        (dict(activation="softmax"), "unknown hidden activation 'softmax'"),
        (dict(activation="swish"), "choose one of sigmoid, tanh, relu"),
        (dict(loss="hinge"), "unknown loss"),
        (dict(init="orthogonal"), "unknown init"),
        (dict(dtype="float16"), "unknown dtype"),
        (dict(task="ranking"), "unknown task"),
    ],
)
def test_bad_settings_are_refused_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Network([2, 3, 2], **kwargs)


def test_softmax_needs_two_units():
    with pytest.raises(ValueError, match="at least 2 output units"):
        Network([2, 1], loss="cross_entropy", output="softmax")


def test_shapes_and_in_place_assignment():
    net = Network([2, 16, 16, 3], activation="tanh", loss="cross_entropy")
    assert [W.shape for W in net.weights] == [(16, 2), (16, 16), (3, 16)]
    assert [b.shape for b in net.biases] == [(16,), (16,), (3,)]
    X = np.random.default_rng(0).normal(size=(5, 2))
    net.weights[2][...] = 0.0
    np.testing.assert_allclose(net.forward(X), 1 / 3)
    net.weights[2] = np.ones((3, 16))  # a new array in place of the view is taken in too
    net.biases[2] = np.array([0.0, 0.0, 50.0])
    np.testing.assert_allclose(net.forward(X)[:, 2], 1.0)
    assert net.weights[2].base is not None and net.parameters[-1] == 50.0


def test_forward_returns_a_new_array_each_time():
    net = Network([2, 3, 2])
    first = net.forward(np.zeros((4, 2)))
    second = net.forward(np.ones((4, 2)))
    assert not np.shares_memory(first, second)


def test_bad_input_shapes():
    net = Network([2, 3, 2])
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        net.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"Y must have shape \(4, 2\)"):
        net.cost(np.zeros((4, 2)), np.zeros((4, 3)))


# -- initialisation ------------------------------------------------------------------------


def test_init_distributions():
    fan_in, fan_out = 400, 300
    xavier = Network([fan_in, fan_out, 2], activation="tanh").weights[0]
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(xavier).max() <= bound
    assert xavier.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    he = Network([fan_in, fan_out, 2], activation="relu").weights[0]
    assert he.mean() == pytest.approx(0.0, abs=0.003)
    assert he.std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.02)
    normal = Network([fan_in, fan_out, 2], init="normal").weights[0]
    assert normal.std() == pytest.approx(0.01, rel=0.02)
    assert Network([fan_in, fan_out, 2], activation="sigmoid", init="he").weights[0].std() == (
        pytest.approx(math.sqrt(2 / fan_in), rel=0.02)
    )
    assert all(not b.any() for b in Network([3, 4, 2]).biases)


def test_init_is_seeded():
    first, same, other = (Network([3, 4, 2], seed=seed) for seed in (5, 5, 6))
    np.testing.assert_array_equal(first.parameters, same.parameters)
    assert not np.array_equal(first.parameters, other.parameters)
    single = Network([3, 4, 2], seed=5, dtype="float32")
    np.testing.assert_array_equal(single.parameters, first.parameters.astype(np.float32))


# -- float32 -------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam"])
@pytest.mark.parametrize(("activation", "loss"), [("sigmoid", "mse"), ("relu", "cross_entropy")])
def test_float32_stays_float32(activation, loss, optimizer):
    net = Network([3, 8, 4], activation=activation, loss=loss, dtype="float32")
    opt = make_optimizer(optimizer, lr=0.1, weight_decay=0.01)
    X = np.random.default_rng(0).normal(size=(5, 3))  # float64 on purpose: cast once
    Y = np.eye(4)[[0, 1, 2, 3, 0]]
    for _ in range(3):
        cost = net.train_batch(X, Y, opt)
    assert isinstance(cost, float)
    _, dW, db = net.gradients(X, Y)
    arrays = [net.parameters, net.gradient, net.forward(X), *dW, *db]
    (workspace,) = net.workspaces  # every pass had the batch's 5 rows
    arrays += [array for group in (workspace.z, workspace.a, workspace.delta, workspace.df)
               for array in group[1:]]
    arrays += [buffer for state in opt.state for buffer in state.values()]
    assert {array.dtype for array in arrays} == {np.dtype(np.float32)}
    assert all(W.base is net.parameters for W in net.weights)


def test_train_batch_returns_cost_before_update_and_updates_in_place():
    net = Network([2, 3, 2], activation="tanh", loss="cross_entropy")
    X, Y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.eye(2)
    first_weights = net.weights[0]
    before = net.cost(X, Y)
    assert net.train_batch(X, Y, make_optimizer("sgd", lr=0.5)) == before
    assert net.weights[0] is first_weights
    assert net.cost(X, Y) < before

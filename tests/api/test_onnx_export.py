"""`nnrun export --format onnx`: the ONNX graph computes what Network.forward computes."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from helpers.cli import invoke
from helpers.flowers import flowers_frame

import nnrun
from nnrun.api.onnx_export import to_onnx
from nnrun.core import Network
from nnrun.model.trained import Model

onnx = pytest.importorskip("onnx")
from onnx.reference import ReferenceEvaluator  # noqa: E402

HIDDEN = ("sigmoid", "tanh", "relu")
# (output function, loss, task, output units): every output the core has
OUTPUTS = [("softmax", "cross_entropy", "classification", 3),
           ("sigmoid", "cross_entropy", "classification", 1),
           ("sigmoid", "mse", "classification", 3),
           ("tanh", "mse", "regression", 2),
           ("relu", "mse", "regression", 2),
           ("identity", "mse", "regression", 1)]
TOLERANCE = {"float32": 1e-5, "float64": 1e-12}


def make_model(activation: str, output: str, loss: str, task: str, n_outputs: int,
               dtype: str, seed: int = 0) -> Model:
    """A Model around a randomly initialised network, with a scaling and labels."""
    rng = np.random.default_rng(seed)
    sizes = [4, 7, 5, n_outputs]
    net = Network(sizes, activation=activation, loss=loss, output=output, seed=seed,
                  dtype=dtype, task=task)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]  # biases start at 0
    classes = None
    if task == "classification":
        classes = ["no", "yes"] if n_outputs == 1 else ["cat", "dog", "eel"][:n_outputs]
    description = {"trial": "t", "task": task, "sizes": sizes, "activation": activation,
                   "output": output, "loss": loss, "dtype": dtype,
                   "feature_names": ["a", "b", "c", "d"], "outputs": ["y"] * max(1, n_outputs),
                   "classes": classes, "standardize": True}
    return Model(description, net.weights, net.biases, mean=rng.normal(size=4) * 3,
                 std=rng.uniform(0.5, 2.0, size=4))


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))


def inputs(dtype: str) -> np.ndarray:
    return np.random.default_rng(1).normal(scale=3.0, size=(50, 4)).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("activation", "output"), [
    (activation, output) for activation, output in itertools.product(HIDDEN, OUTPUTS)],
    ids=lambda value: value if isinstance(value, str) else value[0])
def test_the_graph_computes_network_forward(activation: str, output: tuple, dtype: str) -> None:
    output_name, loss, task, n_outputs = output
    model = make_model(activation, output_name, loss, task, n_outputs, dtype)
    proto = to_onnx(model)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version >= 17
    X = inputs(dtype)
    want = model.network.forward(((X - model.mean) / model.std).astype(dtype))
    evaluator = ReferenceEvaluator(proto)
    names = [o.name for o in proto.graph.output]
    got = dict(zip(names, evaluator.run(None, {"X": X}), strict=True))
    assert got["output"].dtype == np.dtype(dtype)
    assert relative_error(got["output"], want) < TOLERANCE[dtype]
    if task == "classification":
        assert list(got["label"]) == list(model.predict(X))
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(proto.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    got = dict(zip(names, session.run(None, {"X": X}), strict=True))
    assert relative_error(got["output"], want) < TOLERANCE[dtype]
    if task == "classification":
        assert list(got["label"]) == list(model.predict(X))


def test_metadata_holds_the_class_labels_and_features() -> None:
    import json

    proto = to_onnx(make_model("relu", "softmax", "cross_entropy", "classification", 3,
                               "float32"))
    props = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(props["classes"]) == ["cat", "dog", "eel"]
    assert json.loads(props["feature_names"]) == ["a", "b", "c", "d"]
    assert json.loads(props["nnrun_model"])["activation"] == "relu"


def test_export_command_writes_a_file_that_predicts_as_predict(flowers: Path, tmp_path: Path,
                                                               cli) -> None:
    out = tmp_path / "model.onnx"
    result = invoke(cli, "export", flowers, "--trial", "best", "--format", "onnx", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(out)
    onnx.checker.check_model(str(out), full_check=True)
    frame = flowers_frame()
    model = nnrun.load_model(flowers)
    X = frame[model.feature_names].to_numpy(np.float32)
    probabilities, labels = ReferenceEvaluator(str(out)).run(None, {"X": X})
    assert relative_error(probabilities, model.predict_proba(frame)) < 1e-5
    assert (labels == model.predict(frame)).mean() > 0.99  # float32 scaling: rare ties differ
    result = invoke(cli, "export", flowers, "--format", "onnx", "--out",
                    tmp_path / "no" / "such" / "m.onnx")
    assert result.exit_code == 2 and "no such folder" in result.stderr
    result = invoke(cli, "export", flowers, "--out", out)
    assert result.exit_code == 2 and "needs one of --format onnx" in result.stderr


def test_without_onnx_the_message_names_the_extra(flowers: Path, tmp_path: Path, cli,
                                                  monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx raises ImportError
    result = invoke(cli, "export", flowers, "--format", "onnx", "--out", tmp_path / "m.onnx")
    assert result.exit_code == 2
    assert "pip install 'nnrun[onnx]'" in result.stderr and not (tmp_path / "m.onnx").exists()

"""``nnrun export --format onnx``: the whole predictor as one ONNX graph (opset 17).

The graph reads ``X`` (n, features) in the model's dtype (float32 or float64) and computes
what :class:`nnrun.model.trained.Model` computes: ``(X - mean) / std`` with the training
split's scaling (when the sweep standardised), then for each layer l = 1..L a ``Gemm``
z[l] = a[l-1] W[l]^T + b[l] followed by its activation (Sigmoid, Tanh, Relu; the output layer's
Softmax, Sigmoid, Tanh, Relu or Identity). Outputs: ``output`` (n, outputs), the network's
a[L] (class probabilities for classification, values in the target's units for regression),
and for classification ``label`` (n,), the predicted class label (ArgMax, or an output above
0.5 for a single unit, gathered from the class labels). The model's metadata holds
model.json's description (``nnrun_model``), the ``classes`` and ``feature_names`` as JSON.
onnx is imported here only: it is the optional ``onnx`` extra.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnrun.api.models import load_model
from nnrun.errors import NnrunError

if TYPE_CHECKING:
    import onnx

    from nnrun.model.trained import Model

OPSET = 17
IR_VERSION = 8  # the IR of opset 17: readable by every onnxruntime that runs opset 17
ACTIVATION_OPS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "identity": "Identity"}
EXTRA_HINT = "nnrun export --format onnx needs the onnx package: pip install 'nnrun[onnx]'"


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise NnrunError(EXTRA_HINT) from None
    return onnx


def _label_nodes(onnx: Any, model: Model, output: str) -> tuple[list[Any], list[Any]]:
    """Nodes and initialisers from the output a[L] to the predicted class label."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    if model.network.sizes[-1] == 1:
        threshold = numpy_helper.from_array(np.array(0.5, model.dtype), "threshold")
        nodes = [helper.make_node("Greater", [output, "threshold"], ["above"]),
                 helper.make_node("Cast", ["above"], ["index_2d"], to=onnx.TensorProto.INT64),
                 helper.make_node("Squeeze", ["index_2d", "axis_1"], ["label_index"])]
        axes = numpy_helper.from_array(np.array([1], np.int64), "axis_1")
        initialisers = [threshold, axes]
    else:
        nodes = [helper.make_node("ArgMax", [output], ["label_index"], axis=1, keepdims=0)]
        initialisers = []
    classes = model.classes_
    values = classes.astype(object) if classes.dtype.kind == "U" else classes
    if classes.dtype.kind == "i":
        values = classes.astype(np.int64)
    initialisers.append(numpy_helper.from_array(np.asarray(values), "classes"))
    nodes.append(helper.make_node("Gather", ["classes", "label_index"], ["label"], axis=0))
    return nodes, initialisers


def _label_type(onnx: Any, model: Model) -> int:
    kind = model.classes_.dtype.kind
    return {"U": onnx.TensorProto.STRING, "i": onnx.TensorProto.INT64,
            "f": onnx.TensorProto.DOUBLE, "b": onnx.TensorProto.BOOL}[kind]


def to_onnx(model: Model) -> onnx.ModelProto:
    """The ONNX model of ``model`` (see the module docstring), checked with
    ``onnx.checker.check_model(full_check=True)``."""
    onnx = _onnx()
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    net, dtype = model.network, model.dtype
    element = onnx.TensorProto.FLOAT if dtype == np.float32 else onnx.TensorProto.DOUBLE
    nodes, initialisers, a = [], [], "X"
    if model.mean is not None:
        initialisers += [numpy_helper.from_array(model.mean.astype(dtype), "mean"),
                         numpy_helper.from_array(model.std.astype(dtype), "std")]
        nodes += [helper.make_node("Sub", ["X", "mean"], ["centred"]),
                  helper.make_node("Div", ["centred", "std"], ["scaled"])]
        a = "scaled"
    for l in range(1, net.n_layers + 1):
        initialisers += [numpy_helper.from_array(np.asarray(net.weights[l - 1]), f"W{l}"),
                         numpy_helper.from_array(np.asarray(net.biases[l - 1]), f"b{l}")]
        nodes.append(helper.make_node("Gemm", [a, f"W{l}", f"b{l}"], [f"z{l}"], transB=1))
        name = net.activation if l < net.n_layers else net.output
        out = f"a{l}" if l < net.n_layers else "output"
        if name == "softmax":
            nodes.append(helper.make_node("Softmax", [f"z{l}"], [out], axis=1))
        else:
            nodes.append(helper.make_node(ACTIVATION_OPS[name], [f"z{l}"], [out]))
        a = out
    outputs = [helper.make_tensor_value_info("output", element, ["n", net.sizes[-1]])]
    if model.classes_ is not None:
        label_nodes, label_initialisers = _label_nodes(onnx, model, "output")
        nodes += label_nodes
        initialisers += label_initialisers
        outputs.append(helper.make_tensor_value_info("label", _label_type(onnx, model), ["n"]))
    graph = helper.make_graph(
        nodes, f"nnrun_{model.trial or 'model'}",
        [helper.make_tensor_value_info("X", element, ["n", net.sizes[0]])], outputs,
        initializer=initialisers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="nnrun", ir_version=IR_VERSION,
                              doc_string=f"nnrun trial {model.trial}: inputs "
                                         f"{', '.join(model.feature_names)}")
    helper.set_model_props(proto, {
        "nnrun_model": json.dumps(model.description),
        "classes": json.dumps(None if model.classes_ is None else model.classes_.tolist()),
        "feature_names": json.dumps(model.feature_names),
        "task": model.task, "trial": str(model.trial)})
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(results: str | Path, trial: str | None, out: str | Path) -> Path:
    """Write the ONNX model of a trial (``best``, an id, or a model's folder) to ``out``."""
    from nnrun.results.files import atomic_write_bytes

    proto = to_onnx(load_model(results, trial))
    out = Path(out)
    if out.parent and not out.parent.is_dir():
        raise NnrunError(f"{out}: no such folder {out.parent}")
    atomic_write_bytes(out, proto.SerializeToString())
    return out

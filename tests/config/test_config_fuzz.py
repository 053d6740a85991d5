"""nnrun.config: whatever the document, text or override, loading gives a SweepSpec or a
ConfigError, never anything else."""

from __future__ import annotations

import yaml
from helpers.configs import MINIMAL as BASE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnrun.config import SweepSpec, load_config_text, sweepable_keys
from nnrun.errors import ConfigError

KEYS = sorted({*sweepable_keys(), *(k.split(".")[0] for k in sweepable_keys()), "name", "seed",
               "repeats", "sweep", "method", "parameters", "samples", "metric", "goal",
               "uniform", "log_uniform", "int_uniform", "choice", "dataset", "patience"})


scalars = (st.none() | st.booleans() | st.integers(-10, 2**40) | st.floats(allow_nan=True)
           | st.sampled_from(["relu", "spirals", "csv", "grid", "random", "1e-3", "", "../x"])
           | st.text(max_size=8))


documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_yaml_document_loads_or_raises_config_error(document):
    text = yaml.safe_dump(document)
    try:
        assert isinstance(load_config_text(text, "fuzz.yaml"), SweepSpec)
    except ConfigError as error:
        assert error.errors and all(line.startswith("fuzz.yaml") for line in error.errors)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_loads_or_raises_config_error(text):
    try:
        load_config_text(text, "fuzz.yaml")
    except ConfigError as error:
        assert error.errors


VALID = BASE + "sweep:\n  method: random\n  samples: 3\n  parameters:\n    model.hidden: [[4]]\n"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([*sweepable_keys(), *KEYS, "sweep.parameters.optimizer.lr",
                        "sweep.parameters.model.hidden", "sweep.samples", "sweep.method"]),
       documents)
def test_any_value_for_any_key_loads_or_raises_config_error(key, value):
    flow = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    if flow.endswith("\n..."):
        flow = flow[: -len("\n...")]
    for overrides in ([f"{key}={flow}"], [f"sweep.parameters.{key}=[{flow}]"]):
        try:
            load_config_text(VALID, "fuzz.yaml", overrides)
        except ConfigError as error:
            assert error.errors

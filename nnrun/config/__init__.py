"""Read a sweep's YAML file, check it, and hand over a SweepSpec (keys: README, The YAML file).

The stage is a straight pipe, one module a step:

    text --_yaml: safe reader--> plain python + where each key and value was written
         --_yaml: ``--set KEY=VALUE`` overrides--> --_check: the schema's models, and
         _swept: each swept value in the base file--> spec.SweepSpec

- ``schema``: the pydantic models, one a section; types, enumerations and ranges in their
  annotations, so that one table says what a valid file is.
- ``spec``: SweepSpec and the entry points, ``load_config``, ``load_config_text`` and
  ``validate_trial_config`` (one trial's resolved config, as the search makes them).
- ``dotted``: dotted paths into a config, and the keys a sweep may vary.
- ``_yaml`` (YAML 1.2 floats, duplicated keys, tags and alias bombs refused, positions),
  ``_messages`` (pydantic's errors in a user's words), ``_check`` (where each problem points),
  ``_swept`` (the checks of sweep.parameters).

Every problem found on the way becomes one line of a ConfigError, all of them at once:
``file:line:column: dotted.key: what was found; what is allowed (did you mean ...?)``.
"""

from nnrun.config.dotted import get_dotted, set_dotted, sweepable_keys
from nnrun.config.schema import (
    DISTRIBUTIONS,
    OUTPUTS_OF_LOSS,
    SWEEP_METHODS,
    TOP_KEYS,
    TRIAL_SECTIONS,
    ConfigFile,
    TrialConfig,
)
from nnrun.config.spec import SweepSpec, load_config, load_config_text, validate_trial_config
from nnrun.vocabulary import DATASETS, METRICS

__all__ = [
    "DATASETS",
    "DISTRIBUTIONS",
    "METRICS",
    "OUTPUTS_OF_LOSS",
    "SWEEP_METHODS",
    "TOP_KEYS",
    "TRIAL_SECTIONS",
    "ConfigFile",
    "SweepSpec",
    "TrialConfig",
    "get_dotted",
    "load_config",
    "load_config_text",
    "set_dotted",
    "sweepable_keys",
    "validate_trial_config",
]

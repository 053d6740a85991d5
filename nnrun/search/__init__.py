"""Which trials a sweep runs, and when: trials and their ids (``trials``), grid and random
(``fixed``), successive halving (``halving``), TPE (``tpe``), and the source of a sweep's tasks
whatever its method (``sources``)."""

from nnrun.search.fixed import FixedSource, configurations, expand
from nnrun.search.halving import HalvingSource
from nnrun.search.sources import ADAPTIVE, SweepSource, describe_search, make_source
from nnrun.search.tpe import BayesSource
from nnrun.search.trials import (
    Trial,
    check_loss,
    choices_of,
    describe_trials,
    make_trial,
    resolve_objectives,
    trial_id,
    trial_seed,
)

__all__ = [
    "ADAPTIVE",
    "BayesSource",
    "FixedSource",
    "HalvingSource",
    "SweepSource",
    "Trial",
    "check_loss",
    "choices_of",
    "configurations",
    "describe_search",
    "describe_trials",
    "expand",
    "make_source",
    "make_trial",
    "resolve_objectives",
    "trial_id",
    "trial_seed",
]

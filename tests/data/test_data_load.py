"""nnrun.data.load: the data: block, its seed and options, and the names of the data sets."""

import subprocess
import sys

import numpy as np
import pytest
from helpers.datasets import load

from nnrun.data import load_dataset
from nnrun.errors import DataError, NnrunError


def test_spec_seed_overrides_the_sweep_seed():
    pinned = load_dataset({"dataset": "moons", "seed": 1}, 99)
    np.testing.assert_array_equal(pinned.X_train, load("moons", seed=1).X_train)
    assert not np.array_equal(pinned.X_train, load("moons", seed=99).X_train)


def test_data_error_is_an_nnrun_error():
    assert issubclass(DataError, NnrunError)


@pytest.mark.parametrize(("val", "test"), [(0.5, 0.5), (0.7, 0.4), (-0.1, 0.2), (0.2, 1.0)])
def test_invalid_fractions(val, test):
    with pytest.raises(DataError, match="fraction"):
        load("moons", val_fraction=val, test_fraction=test)


def test_unknown_dataset_lists_the_allowed_names():
    with pytest.raises(DataError, match="unknown data set 'mnist'; allowed: xor, moons, circles, "
                                        "spirals, blobs, digits, mnist1d, csv, npz"):
        load("mnist")


def test_unknown_option_and_regression_on_a_classification_set():
    with pytest.raises(DataError, match="unknown data option"):
        load("moons", n_sample=10)
    with pytest.raises(DataError, match="classification set"):
        load("moons", task="regression")


def test_importing_nnrun_data_does_not_import_heavy_packages():
    heavy = ["pandas", "sklearn", "mnist1d", "scipy", "matplotlib"]
    code = ("import sys, nnrun.data; "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_the_table_of_data_sets_is_the_vocabulary():
    from nnrun.data import DATASETS, SYNTHETIC
    from nnrun.vocabulary import BUILTIN_DATASETS, FILE_DATASETS
    from nnrun.vocabulary import DATASETS as NAMES

    assert tuple(DATASETS) == NAMES
    assert set(SYNTHETIC) == set(BUILTIN_DATASETS) - {"digits", "mnist1d"}
    assert set(FILE_DATASETS) == {"csv", "npz"}


def test_the_data_defaults_are_the_schemas():
    """load_dataset takes a data: block without the config stage (it sits below it), so it
    keeps its own defaults: they must be the schema's."""
    from typing import get_args

    from nnrun.config.schema import DataSection
    from nnrun.data import DEFAULTS, TASKS

    fields = DataSection.model_fields
    assert list(fields) == list(DEFAULTS)
    assert {key: field.default for key, field in fields.items() if not field.is_required()} \
        == {key: value for key, value in DEFAULTS.items() if key != "dataset"}
    assert get_args(fields["task"].annotation) == TASKS

"""The digits data set, built once a module by the tests that look at a real split."""

import pytest
from helpers.datasets import load

from nnrun.data import Dataset


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load("digits")

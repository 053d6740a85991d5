"""Data sets and their train / validation / test splits.

One entry point, `load_dataset(spec, seed)`, turns the YAML `data:` block into a `Dataset`:
float64, C-contiguous arrays, one-hot targets for classification, features z-scored with the
mean and standard deviation of the training split only (so nothing of the validation or test
data leaks into training).

Where the data comes from is one table, `DATASETS`, keyed by the names a user writes
(nnrun.vocabulary.DATASETS), one module a kind of source:
  xor, moons, circles, spirals, blobs   synthetic.py: 2-D sets drawn with numpy from the seed
  digits, mnist1d                       _builtin.py: scikit-learn's bundled 8x8 digits (no
                                        download), MNIST-1D generated offline by `mnist1d`
  csv, npz                              _files.py: the user's own file
Each builder hands on the raw arrays (_raw.Raw); _splits.py makes them a Dataset (the task,
label encoding, stratified splits, standardisation); load.py is the pipe. cache.py keeps the
data sets a process has built. scikit-learn, mnist1d and pandas are imported inside the
functions that use them: importing this package costs numpy only, which keeps `nnrun --help`
fast.
"""

from nnrun.data._builtin import EXTRA_HINT
from nnrun.data._files import read_frame
from nnrun.data._splits import MAX_AUTO_CLASSES
from nnrun.data.dataset import Dataset
from nnrun.data.load import DATASETS, DEFAULTS, TASKS, load_dataset
from nnrun.data.synthetic import SYNTHETIC, make_synthetic

__all__ = [
    "DATASETS",
    "DEFAULTS",
    "EXTRA_HINT",
    "MAX_AUTO_CLASSES",
    "SYNTHETIC",
    "TASKS",
    "Dataset",
    "load_dataset",
    "make_synthetic",
    "read_frame",
]

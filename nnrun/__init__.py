"""nnrun: hyperparameter sweeps of fully connected networks on one numpy backpropagation core."""

__version__ = "0.1.0"

"""`python -m nnrun.cli`, the same as `python -m nnrun` and the nnrun script."""

from nnrun.cli import main

main()

"""The typer application every command registers on, and what the commands share: the exit
codes, the NnrunError-to-exit-2 wrapper, stderr, the option enums."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

from nnrun import __version__
from nnrun.errors import NnrunError

app = typer.Typer(
    name="nnrun",
    help="Hyperparameter sweeps of fully connected neural networks, on one numpy "
         "backpropagation core.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def user_errors(command: F) -> F:
    """Turn NnrunError into a clean message on stderr and exit code 2, and a Ctrl-C into one
    line and exit code 130 (never a traceback; `nnrun sweep` saves its trials first)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NnrunError as error:
            _err(f"error: {error}")
            raise typer.Exit(EXIT_USAGE) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        print(f"nnrun {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Hyperparameter sweeps of fully connected neural networks, on one numpy backpropagation
    core. Start with `nnrun sweep experiments/quickstart.yaml`."""


class Backend(StrEnum):
    loky = "loky"
    dask = "dask"


class Format(StrEnum):
    table = "table"
    csv = "csv"
    markdown = "markdown"


TRIAL_HELP = ("The trial: best (the best repeat of the leaderboard's best configuration), a "
              "trial id from `nnrun show`, or a unique start of one.")

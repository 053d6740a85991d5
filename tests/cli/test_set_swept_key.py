"""``--set KEY=VALUE`` on a swept key wins, as on Hydra's command line (issue 12, point 6):
the key leaves the sweep with a one-line note, in sweep --dry-run, validate and gradcheck."""

from __future__ import annotations

from pathlib import Path

from helpers.cli import invoke

NOTE = ("note: --set model.activation=relu fixes model.activation, which sweep.parameters "
        "varied")


def test_dry_run_drops_the_swept_key_with_a_note(cli, small_config: Path) -> None:
    result = invoke(cli, "sweep", small_config, "--dry-run", "--set", "model.activation=relu")
    assert result.exit_code == 0, result.output
    assert "small: 2 trials (grid)" in result.stdout
    assert "model.activation" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(lines) == 1 and lines[0].startswith(NOTE), result.stderr
    assert "small.yaml:" in lines[0] and lines[0].endswith("it is no longer swept")


def test_validate_and_gradcheck_say_so_too(cli, small_config: Path) -> None:
    result = invoke(cli, "validate", small_config, "--set", "model.activation=relu")
    assert result.exit_code == 0, result.output
    assert "valid; 2 trials" in result.stdout and NOTE in result.stderr
    result = invoke(cli, "gradcheck", small_config, "--set", "model.activation=relu")
    assert result.exit_code == 0, result.output
    assert NOTE in result.stderr
    assert "tanh" not in result.stdout and "relu" in result.stdout


def test_a_swept_key_set_on_the_command_line_is_swept(cli, small_config: Path) -> None:
    result = invoke(cli, "validate", small_config, "--set",
                    "sweep.parameters.model.activation=[relu, sigmoid, tanh]")
    assert result.exit_code == 0, result.output
    assert "valid; 6 trials" in result.stdout and "note:" not in result.stderr

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


def test_a_key_in_a_list_of_sub_spaces_is_set_by_the_index_of_its_sub_space(cli,
                                                                           tmp_path: Path) -> None:
    from helpers.configs import write_config

    config = write_config(tmp_path / "spaces.yaml", changes={"sweep.parameters": [
        {"optimizer.name": ["sgd"], "optimizer.lr": [0.05, 0.1]}, {"optimizer.name": ["adam"]}]})
    result = invoke(cli, "validate", config, "--set", "sweep.parameters.optimizer.lr=[0.1]")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {config}: --set sweep.parameters.optimizer.lr: "
                                    f"sweep.parameters: is a list of 2 sub-spaces, so a key in "
                                    f"it is set through the index of its sub-space (0 to 1)")
    result = invoke(cli, "validate", config, "--set", "sweep.parameters.1.optimizer.lr=[0.1, 0.01]")
    assert result.exit_code == 0, result.output
    assert "valid; 4 trials" in result.stdout


def test_a_key_swept_in_sub_spaces_leaves_each_of_them(cli, tmp_path: Path) -> None:
    from helpers.configs import write_config

    config = write_config(tmp_path / "spaces.yaml", changes={"sweep.parameters": [
        {"optimizer.name": ["momentum"], "optimizer.momentum": [0.5, 0.9]},
        {"optimizer.name": ["adam"], "optimizer.lr": [0.05, 0.1]},
        {"optimizer.momentum": [0.1, 0.2]}]})
    first, third = (f"{config}:{number}:{line.index('optimizer.momentum') + 1}"
                    for number, line in enumerate(config.read_text().splitlines(), 1)
                    if "optimizer.momentum:" in line)
    note = ("note: --set optimizer.momentum=0.3 fixes optimizer.momentum, which "
            f"sweep.parameters[0].optimizer.momentum ({first}) and "
            f"sweep.parameters[2].optimizer.momentum ({third}) varied: it is no longer "
            "swept; sweep.parameters[2], left with no key, is the base configuration of the "
            "file (one trial)")
    dry = invoke(cli, "sweep", config, "--dry-run", "--set", "optimizer.momentum=0.3")
    assert dry.exit_code == 0, dry.output
    assert dry.stderr.splitlines() == [note]
    rows = [line.split()[3:] for line in dry.stdout.splitlines()[2:]]
    # the base file's optimizer is momentum with lr 0.1: sub-space 2 is sub-space 0's trial
    assert rows == [["momentum", "-"], ["adam", "0.05"], ["adam", "0.1"]], dry.stdout
    assert "small: 3 trials (grid)" in dry.stdout and "0.9" not in dry.stdout
    valid = invoke(cli, "validate", config, "--set", "optimizer.momentum=0.3")
    assert valid.exit_code == 0, valid.output
    assert "valid; 3 trials" in valid.stdout and valid.stderr.splitlines() == [note]
    checked = invoke(cli, "gradcheck", config, "--set", "optimizer.momentum=0.3")
    assert checked.exit_code == 0, checked.output
    assert checked.stderr.splitlines() == [note]

"""What a user sees from the CLI's smaller checks, run as a real process: `--dry-run` makes the
option checks of a real run, gradcheck names the output function it used, and every bad data
file of a swept list is reported with its line."""

from __future__ import annotations

from pathlib import Path

from helpers.cli import run_nnrun
from helpers.configs import write_config


def test_gradcheck_prints_the_output_function_auto_chose(tmp_path: Path) -> None:
    config = write_config(tmp_path / "g.yaml", changes={
        "sweep.parameters": {"model.output": ["auto", "softmax", "sigmoid"]}})
    result = run_nnrun("gradcheck", config)
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("[2, ")]
    outputs = [line[4] for line in lines]  # sizes "[2, 8, 2]" is three words
    assert "auto" not in outputs, result.stdout
    # "auto" with cross_entropy and two classes is softmax: one network, checked once
    assert outputs == ["softmax", "sigmoid"], result.stdout


def test_dry_run_makes_the_option_checks_of_a_real_run(small_config: Path,
                                                       tmp_path: Path) -> None:
    for options, message in ((["--jobs", "-1"], "--jobs must be at least 1, not -1"),
                             (["--jobs", "0"], "--jobs must be at least 1, not 0"),
                             (["--scheduler", "tcp://127.0.0.1:1"], "it needs --backend dask"),
                             (["--max-failures", "0"], "--max-failures")):
        for dry_run in (["--dry-run"], []):
            result = run_nnrun("sweep", small_config, "--out", tmp_path / "out", *options,
                               *dry_run)
            assert result.returncode == 2, (options, dry_run, result.stdout, result.stderr)
            assert message in result.stderr, (options, result.stderr)
            assert "Traceback" not in result.stderr
            assert "trials (grid)" not in result.stdout  # no table of trials
    assert not (tmp_path / "out").exists()
    fine = run_nnrun("sweep", small_config, "--jobs", "2", "--dry-run")
    assert fine.returncode == 0 and "small: 4 trials (grid)" in fine.stdout, fine.stderr


def test_every_bad_file_of_a_swept_list_is_reported_at_its_line(tmp_path: Path) -> None:
    rows = "".join(f"{i % 4},{i % 3},{'xy'[i % 2]}\n" for i in range(20))
    (tmp_path / "good.csv").write_text("a,b,label\n" + rows)
    (tmp_path / "text.csv").write_text("a,b,label\n1,zz,x\n3,4,y\n")
    (tmp_path / "other.csv").write_text("a,b,kind\n1,2,x\n")
    config = tmp_path / "files.yaml"
    config.write_text(
        "data:\n  dataset: csv\n  path: good.csv\n  target: label\n"
        "sweep:\n  parameters:\n"
        "    data.path: [good.csv, text.csv, missing.csv, other.csv]\n")
    for command in (["validate"], ["sweep", "--out", tmp_path / "out"], ["gradcheck"]):
        result = run_nnrun(*command[:1], config, *command[1:])
        assert result.returncode == 2, (command, result.stderr)
        lines = result.stderr.splitlines()
        assert lines == [
            f"error: {config}:7:27: sweep.parameters.data.path[1]: {tmp_path / 'text.csv'}: "
            f"column 'b' is not numeric (line 2: 'zz'); every feature column must be a number "
            f"(data.features lists the columns to use; without it, every column but the target "
            f"'label')",
            f"{config}:7:37: sweep.parameters.data.path[2]: {tmp_path / 'missing.csv'}: "
            f"no such file",
            f"{config}:7:50: sweep.parameters.data.path[3]: {tmp_path / 'other.csv'}: no "
            f"column 'label' (data.target); columns present: a, b, kind"], (command, lines)
    assert not (tmp_path / "out").exists()

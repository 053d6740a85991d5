"""Messages a user reads (issue 12, point 9): they point at documents that ship."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.cli import ROOT, run_nnrun


def test_the_empty_config_error_points_at_the_readmes_yaml_section(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    result = run_nnrun("validate", empty)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "DESIGN" not in result.stderr
    section = re.search(r"the README's section '([^']+)'", result.stderr)
    assert section, result.stderr
    headings = [line.lstrip("#").strip() for line in
                (ROOT / "README.md").read_text().splitlines() if line.startswith("#")]
    assert section[1] in headings

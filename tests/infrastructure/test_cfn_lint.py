"""cfn-lint finds no error in any synthesized template."""

import json
import subprocess
import sys
from pathlib import Path

from tests.infrastructure.conftest import Synthesized


def test_cfn_lint_reports_no_errors(dev: Synthesized, prod: Synthesized) -> None:
    for synth in (dev, prod):
        templates = sorted(str(p) for p in synth.outdir.glob("*.template.json"))
        assert len(templates) == 4
        result = subprocess.run(
            [str(Path(sys.executable).parent / "cfn-lint"), "--format", "json", "--", *templates],
            capture_output=True,
            text=True,
            check=False,
        )
        findings = json.loads(result.stdout or "[]")
        errors = [f for f in findings if f["Level"] == "Error"]
        assert errors == [], json.dumps(errors, indent=2)
        assert result.returncode in (0, 4, 8), result.stderr  # 4 = warnings, 8 = informational

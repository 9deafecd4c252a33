"""bandit finds nothing of medium or high severity in the app code. `.bandit` says
which code (everything but the tests); CI runs the same command (docs/testing.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
COMMAND = ["-m", "bandit", "--ini", ".bandit", "-r", "--severity-level", "medium"]


def bandit_report() -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, *COMMAND, "--format", "json", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    return report


def test_the_app_code_has_no_medium_or_high_findings():
    report = bandit_report()

    findings = [
        f"{result['filename']}:{result['line_number']} {result['test_id']} {result['issue_text']}"
        for result in report["results"]
    ]
    assert findings == []
    assert report["errors"] == []
    # Every `# nosec` names the check it silences: a bare one would hide any other.
    assert report["metrics"]["_totals"]["nosec"] == 0


def test_the_scan_covers_the_app_and_the_benchmarks_but_not_the_tests():
    scanned = set(bandit_report()["metrics"]) - {"_totals"}

    assert {"rekisteri/settings.py", "rekisteri/api.py", "bench/generate.py"} <= scanned
    assert "rekisteri/testing/pytest_plugin.py" in scanned
    assert [name for name in scanned if "/tests/" in name] == []

"""The dependency audit step of tests/run.sh: pip-audit over the installed environment.

Fails (exit 1) on any known vulnerability. pip-audit needs an advisory service: PyPI's
JSON API (per-version pages) or OSV. Where neither answers — a machine that reaches
only package indexes — pip-audit marks every package "could not be audited" and still
says "No known vulnerabilities found". This gate does not take that for a pass: it
prints BLOCKED with the service's own error, and the minimum versions pinned for known
advisories are enforced by tests/security/test_dependencies.py instead.

Usage: python tests/security/pip_audit_gate.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def audit(service: str) -> tuple[int, dict[str, Any] | None, str]:
    result = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--vulnerability-service", service, "--format",
         "json", "--skip-editable", "--progress-spinner", "off"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    try:
        report = json.loads(result.stdout) if result.stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    return result.returncode, report, result.stderr.strip()


def main() -> int:
    reasons: list[str] = []
    for service in ("pypi", "osv"):
        _code, report, stderr = audit(service)
        if report is None:
            reasons.append(f"{service}: {(stderr.splitlines() or ['no output'])[-1]}")
            continue
        deps = report.get("dependencies", [])
        vulnerable = [d for d in deps if d.get("vulns")]
        audited = [d for d in deps if "skip_reason" not in d]
        if vulnerable:
            for dep in vulnerable:
                ids = ", ".join(v["id"] for v in dep["vulns"])
                print(f"pip-audit: {dep['name']} {dep['version']} has known vulnerabilities: {ids}")
            return 1
        if audited:
            skipped = len(deps) - len(audited)
            print(f"pip-audit ({service}): {len(audited)} packages audited, no known "
                  f"vulnerability ({skipped} not on PyPI, skipped)")  # fmt: skip
            return 0
        first = next((d["skip_reason"] for d in deps if "skip_reason" in d), "nothing audited")
        reasons.append(f"{service}: every package skipped, e.g. {first!r}")
    print("pip-audit: BLOCKED - no advisory service reachable from this machine:")
    for reason in reasons:
        print(f"  {reason}")
    print("  (minimum versions for known advisories: tests/security/test_dependencies.py)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

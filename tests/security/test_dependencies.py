"""Dependencies: the minimum versions that close known advisories are pinned, and installed.

pip-audit runs in tests/run.sh (tests/security/pip_audit_gate.py) where an advisory
service is reachable; these checks hold everywhere, offline too.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# Each floor closes published advisories against the versions below it (docs/security.md):
# Socket.IO/Engine.IO parsing and resource exhaustion, aiohttp request smuggling, path
# traversal and parser bugs, PyJWT algorithm and claim checks.
ADVISORY_MINIMUMS = {
    "python-socketio": "5.14",
    "python-engineio": "4.13.2",
    "aiohttp": "3.14",
    "PyJWT": "2.13",
}


def requirements() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    listed = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return [Requirement(line) for line in listed]


def _just_below(floor: str) -> Version:
    parts = [int(p) for p in floor.split(".")]
    while len(parts) < 3:
        parts.append(0)
    if parts[-1] > 0:
        parts[-1] -= 1
        return Version(".".join(map(str, parts)) + ".999")
    parts[-2] -= 1
    return Version(".".join(map(str, parts[:-1])) + ".999")


@pytest.mark.parametrize("name", sorted(ADVISORY_MINIMUMS))
def test_advisory_minimums_are_pinned(name: str) -> None:
    found = [r for r in requirements() if r.name.lower() == name.lower()]
    assert len(found) == 1, f"{name} must be a direct dependency in pyproject.toml"
    spec = found[0].specifier
    floor = ADVISORY_MINIMUMS[name]
    assert not spec.contains(_just_below(floor), prereleases=True), (
        f"{name}{spec} admits versions below {floor}"
    )


@pytest.mark.parametrize("name", sorted(ADVISORY_MINIMUMS))
def test_installed_versions_meet_the_advisory_minimums(name: str) -> None:
    assert Version(version(name)) >= Version(ADVISORY_MINIMUMS[name]), (name, version(name))


def test_every_installed_dependency_satisfies_pyproject() -> None:
    wrong: list[str] = []
    for req in requirements():
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = version(req.name)
        except PackageNotFoundError:
            wrong.append(f"{req.name}: not installed")
            continue
        if not req.specifier.contains(installed, prereleases=True):
            wrong.append(f"{req.name} {installed} does not satisfy {req.specifier}")
    assert wrong == [], wrong

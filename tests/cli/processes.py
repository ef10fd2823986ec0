"""Running the real ``forumlive`` command from tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from server.db.engine import Database, make_engine


def forumlive_executable() -> str:
    """The console script installed beside this interpreter (a venv's own, in CI)."""
    found = shutil.which("forumlive", path=str(Path(sys.executable).parent)) or shutil.which(
        "forumlive"
    )
    assert found, "the forumlive console script is not installed (pip install -e .)"
    return found


@dataclass
class CliDatabase:
    """Where a ``forumlive`` process keeps its data, and how a test reads it back."""

    data_dir: Path
    url: str  # the URL the process ends up using
    env: dict[str, str] = field(default_factory=dict)

    def argv(self, *args: str) -> list[str]:
        return [forumlive_executable(), *args, "--data-dir", str(self.data_dir)]

    def environ(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORUMLIVE_")}
        return env | {"FORUMLIVE_LOG_FORMAT": "console"} | self.env | extra

    def run(
        self, *args: str, timeout: float = 120, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            check=False,
        )

    def database(self) -> Database:
        return Database(make_engine(self.url))


def combined(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def no_traceback(*outputs: str | None) -> None:
    for output in outputs:
        assert "Traceback" not in (output or ""), output

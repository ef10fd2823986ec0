"""``forumlive import`` run as a real process against the test database."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

from server.db.tables import Session
from tests.api.helpers import count_rows
from tests.exchange.test_csv_import import BAD, GOOD, OVERLAP, csv_text


def _forumlive() -> list[str]:
    script = shutil.which("forumlive")
    return [script] if script else [sys.executable, "-m", "server.cli"]


async def run_cli(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess:
    command = [
        *_forumlive(),
        "import",
        *args,
        "--database-url",
        database_url,
        "--data-dir",
        str(data_dir),
    ]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=300, check=False
    )


async def test_cli_reports_bad_rows_and_imports_a_good_file(
    client, factory, database_url, tmp_path
):
    prog = await factory.programme()
    slug = prog["event"]["slug"]
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(csv_text([*GOOD, *BAD]), encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(csv_text([*GOOD, OVERLAP]), encoding="utf-8")
    data_dir = tmp_path / "cli-data"

    for extra in (["--dry-run"], []):
        done = await run_cli(
            str(mixed), "--event", slug, *extra, database_url=database_url, data_dir=data_dir
        )
        assert done.returncode == 1, done.stderr
        assert "error: row 4, column room: no room 'room-9'" in done.stdout
        assert "error: row 8, column moderators:" in done.stdout
        assert "10 errors in 7 rows; nothing was written" in done.stdout
        assert await count_rows(client, Session) == 0

    done = await run_cli(
        str(good), "--event", slug, "--dry-run", database_url=database_url, data_dir=data_dir
    )
    assert done.returncode == 0, done.stderr
    assert "would import" in done.stdout and "(dry run: nothing written)" in done.stdout
    assert await count_rows(client, Session) == 0

    done = await run_cli(str(good), "--event", slug, database_url=database_url, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert "3 sessions created, 0 updated, 1 people added, 2 conflicts" in done.stdout
    assert "conflict (room_overlap)" in done.stdout
    # The progress bars (tqdm, on stderr) ran to the end of both stages.
    assert "checking" in done.stderr and "writing" in done.stderr and "3/3" in done.stderr
    assert await count_rows(client, Session) == 3


async def test_cli_imports_a_frab_schedule_by_its_suffix(client, factory, database_url, tmp_path):
    prog = await factory.programme()
    await factory.session(prog, title="Exported", speaker_ids=[prog["people"][0]["id"]])
    doc = await (
        await client.get("/api/v1/schedule.json", params={"event": prog["event"]["slug"]})
    ).json()
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    await factory.event(slug="cli-copy")

    done = await run_cli(
        str(path), "--event", "cli-copy", database_url=database_url, data_dir=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "imported into 'cli-copy': 1 sessions created" in done.stdout
    agenda = await (await client.get("/api/v1/agenda", params={"event": "cli-copy"})).json()
    assert [x["title"] for x in agenda["sessions"]] == ["Exported"]
    assert agenda["sessions"][0]["speakers"][0]["id"] == prog["people"][0]["id"]

    done = await run_cli(
        str(path), "--event", "missing", database_url=database_url, data_dir=tmp_path
    )
    assert done.returncode == 2 and "event missing does not exist" in done.stderr
    done = await run_cli(str(tmp_path / "nope.csv"), database_url=database_url, data_dir=tmp_path)
    assert done.returncode == 2 and "cannot read" in done.stderr

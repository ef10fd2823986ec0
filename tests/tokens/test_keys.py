"""Signing keys: sealed at rest, the secret file, rotation, retirement, JWKS, the CLI."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select, update

from server.app import create_app
from server.appkeys import db_key, keyring_key, settings_key
from server.db.tables_tokens import SigningKey
from server.settings import Settings
from server.tokens.join import TokenError, verify_join_token
from server.tokens.keys import list_keys, retire_expired, rotate
from server.tokens.secret import SECRET_FILE, SecretBox, SecretMismatch, load_secret
from tests.tokens.conftest import Live, now


async def _rows(app: Any) -> list[SigningKey]:
    async with app[db_key].read() as s:
        return list((await s.scalars(select(SigningKey).order_by(SigningKey.id))).all())


async def test_first_start_makes_a_0600_secret_file_and_one_sealed_key(client: Any) -> None:
    app = client.app
    path = app[settings_key].data_dir / SECRET_FILE
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = await _rows(app)
    assert len(rows) == 1 and rows[0].rotated_out_at is None
    signer = app[keyring_key].signer
    raw = signer.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    # The stored private half is not the key: it is sealed, bound to its kid.
    assert raw not in rows[0].private_key
    box = SecretBox(path.read_text().strip())
    assert box.open(rows[0].private_key, rows[0].kid) == raw
    with pytest.raises(SecretMismatch):
        box.open(rows[0].private_key, "someotherkid0001")  # moved to another row
    with pytest.raises(SecretMismatch):
        SecretBox("another secret").open(rows[0].private_key, rows[0].kid)


async def test_the_secret_file_is_reused_and_an_explicit_secret_wins(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path / "d")
    first = load_secret(s)
    assert load_secret(s) == first
    assert len(first) >= 40
    explicit = Settings(data_dir=tmp_path / "e", secret_key="configured-secret")
    assert load_secret(explicit) == "configured-secret"
    assert not (tmp_path / "e" / SECRET_FILE).exists()
    loose = tmp_path / "d" / SECRET_FILE
    os.chmod(loose, 0o644)
    assert load_secret(s) == first
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600


async def test_a_restart_reuses_the_key_and_another_secret_fails_loudly(
    aiohttp_client: Any, settings: Settings
) -> None:
    first = await aiohttp_client(create_app(settings))
    kid = first.app[keyring_key].signer.kid
    await first.close()
    again = await aiohttp_client(create_app(settings))
    assert again.app[keyring_key].signer.kid == kid
    await again.close()
    wrong = settings.model_copy(update={"secret_key": "not the secret the key was sealed with"})
    with pytest.raises(SecretMismatch, match="keys rotate"):
        await aiohttp_client(create_app(wrong))


async def test_rotation_keeps_old_tokens_valid_until_they_expire(live: Live) -> None:
    app = live.client.app
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    user = await live.factory.user()
    old_token = await live.token(user, s["id"])
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    (old_row,) = await _rows(app)
    # Issuing recorded how long the key must keep verifying.
    assert old_row.last_token_expires_at is not None
    assert (
        int(old_row.last_token_expires_at.timestamp())
        == jwt.decode(old_token, options={"verify_signature": False})["exp"]
    )

    new_kid = await rotate(app[db_key], app[keyring_key].box)
    await app[keyring_key].reload()
    new_token = await live.token(user, s["id"])
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid != old_kid
    for token in (old_token, new_token):
        assert (await verify_join_token(app, token, s["id"])).sub == user["public_id"]
    r = await live.client.get("/.well-known/jwks.json")
    assert r.headers["Cache-Control"] == "public, max-age=60"
    keys = (await r.json())["keys"]
    assert {k["kid"] for k in keys} == {old_kid, new_kid}
    for k in keys:
        assert (k["kty"], k["crv"], k["use"], k["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
        assert set(k) == {"kty", "crv", "x", "kid", "use", "alg"}  # public half only
    # The old key cannot retire while its token lives (even long after the rotation).
    async with app[db_key].write() as sess:
        await sess.execute(
            update(SigningKey)
            .where(SigningKey.kid == old_kid)
            .values(rotated_out_at=now() - timedelta(hours=1))
        )
    assert await retire_expired(app[db_key], leeway_seconds=10) == []
    # Once its last token has expired it retires: private half erased, gone from the JWKS.
    async with app[db_key].write() as sess:
        await sess.execute(
            update(SigningKey)
            .where(SigningKey.kid == old_kid)
            .values(last_token_expires_at=now() - timedelta(seconds=11))
        )
    assert await retire_expired(app[db_key], leeway_seconds=10) == [old_kid]
    await app[keyring_key].reload()
    rows = {r.kid: r for r in await _rows(app)}
    assert rows[old_kid].private_key is None and rows[old_kid].retired_at is not None
    keys = (await (await live.client.get("/.well-known/jwks.json")).json())["keys"]
    assert [k["kid"] for k in keys] == [new_kid]
    with pytest.raises(TokenError) as err:
        await verify_join_token(app, old_token, s["id"])
    assert err.value.code == "invalid_token"
    assert [k.status for k in await list_keys(app[db_key])] == ["retired", "current"]


async def test_a_key_retired_under_a_stale_node_is_not_used_to_sign(live: Live) -> None:
    """A node that has not heard of a rotation signs with its old key only while that key
    is alive; once it is retired, issuing re-reads the keys and signs with the new one."""
    app = live.client.app
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    stale_kid = app[keyring_key].signer.kid
    new_kid = await rotate(app[db_key], app[keyring_key].box)  # this node is not told
    async with app[db_key].write() as sess:
        await sess.execute(
            update(SigningKey)
            .where(SigningKey.kid == stale_kid)
            .values(rotated_out_at=now() - timedelta(hours=1))
        )
    assert await retire_expired(app[db_key], leeway_seconds=0) == [stale_kid]
    assert app[keyring_key].signer.kid == stale_kid  # still cached
    token = await live.token(await live.factory.user(), s["id"])
    assert jwt.get_unverified_header(token)["kid"] == new_kid
    await verify_join_token(app, token, s["id"])


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FORUMLIVE_DATABASE_URL": settings.database_url,
        "FORUMLIVE_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args, "--data-dir", str(settings.data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_forumlive_keys_rotate_and_list(live: Live, settings: Settings) -> None:
    app = live.client.app
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    user = await live.factory.user()
    old_token = await live.token(user, s["id"])
    old_kid = app[keyring_key].signer.kid
    done = await asyncio.to_thread(_cli, settings, "keys", "rotate")
    assert done.returncode == 0, done.stderr
    new_kid = done.stdout.split("signing key ", 1)[1].split()[0]
    assert new_kid != old_kid
    listed = await asyncio.to_thread(_cli, settings, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line.split()[1] for line in listed.stdout.splitlines()[1:]}
    assert lines == {old_kid: "verifying", new_kid: "current"}
    # The running server picks the rotation up from the database (the CLI used the same
    # secret file in the data directory to seal the new key).
    await app[keyring_key].reload()
    assert app[keyring_key].signer.kid == new_kid
    new_token = await live.token(user, s["id"])
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    await verify_join_token(app, old_token, s["id"])
    await verify_join_token(app, new_token, s["id"])

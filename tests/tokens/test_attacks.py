"""The attack battery: every forged, altered or misused token is refused with its code."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key as rsa_key
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select, update

from server.appkeys import db_key, keyring_key, settings_key
from server.db.tables_tokens import SigningKey
from server.tokens.join import REQUIRED_CLAIMS, TokenError, verify_join_token
from server.tokens.keys import jwk, retire_expired, rotate
from server.tokens.revocation import revoke_jti
from tests.tokens.conftest import Live, b64, b64json, claims_of, forge, good_payload, now


async def refused(client: TestClient, token: str, code: str, session_id: int | None = None) -> None:
    with pytest.raises(TokenError) as err:
        await verify_join_token(client.app, token, session_id)
    assert err.value.code == code, err.value.message


@pytest.fixture
async def sid(live: Live) -> int:
    return int((await live.session(timedelta(minutes=5), kind="broadcast"))["id"])


async def test_a_good_token_verifies(live: Live, sid: int) -> None:
    user = await live.factory.user()
    token = await live.token(user, sid)
    claims = await verify_join_token(live.client.app, token, sid)
    assert (claims.sub, claims.sid, claims.role) == (user["public_id"], sid, "participant")
    assert claims.name is None
    # A hand-forged token with the same shape verifies too: the battery below is meaningful.
    await verify_join_token(
        live.client.app, forge(live.client, good_payload(live.client, sid)), sid
    )


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_alg_none_in_any_case(live: Live, sid: int, alg: str) -> None:
    kid = live.client.app[keyring_key].signer.kid  # type: ignore[union-attr]
    body = (
        b64json({"alg": alg, "typ": "JWT", "kid": kid})
        + "."
        + b64json(good_payload(live.client, sid))
    )
    await refused(live.client, body + ".", "invalid_token", sid)
    real = await live.token(await live.factory.user(), sid)
    await refused(live.client, body + "." + real.rsplit(".", 1)[1], "invalid_token", sid)


async def test_hs256_signed_with_our_public_key(live: Live, sid: int) -> None:
    """Key confusion: an HMAC keyed with any form of our public key is refused."""
    app = live.client.app
    kid = app[keyring_key].signer.kid  # type: ignore[union-attr]
    public = app[keyring_key].verification_key(kid)
    assert public is not None
    forms = [
        public.public_bytes(Encoding.Raw, PublicFormat.Raw),
        public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        jwk(kid, public.public_bytes(Encoding.Raw, PublicFormat.Raw))["x"].encode(),
        json.dumps(app[keyring_key].jwks()[0]).encode(),
    ]
    for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
        for key in forms:
            signing_input = (
                b64json({"alg": alg, "typ": "JWT", "kid": kid})
                + "."
                + b64json(good_payload(live.client, sid))
            )
            sig = hmac.new(key, signing_input.encode(), digest).digest()
            await refused(live.client, signing_input + "." + b64(sig), "invalid_token", sid)


async def test_other_algorithms_and_other_keys(live: Live, sid: int) -> None:
    kid = live.client.app[keyring_key].signer.kid  # type: ignore[union-attr]
    payload = good_payload(live.client, sid)
    others = [
        jwt.encode(payload, rsa_key(public_exponent=65537, key_size=2048), "RS256", {"kid": kid}),
        jwt.encode(payload, generate_private_key(SECP256R1()), "ES256", {"kid": kid}),
        # The right algorithm and our kid, but someone else's Ed25519 key.
        jwt.encode(payload, Ed25519PrivateKey.generate(), "EdDSA", {"kid": kid}),
    ]
    for token in others:
        await refused(live.client, token, "invalid_token", sid)


async def test_expired_and_the_leeway(live: Live, sid: int) -> None:
    leeway = live.client.app[settings_key].token_leeway_seconds
    assert leeway <= 30
    t = int(now().timestamp())
    expired = forge(live.client, good_payload(live.client, sid, exp=t - leeway - 5))
    await refused(live.client, expired, "expired", sid)
    just = forge(live.client, good_payload(live.client, sid, exp=t - max(leeway - 5, 0)))
    await verify_join_token(live.client.app, just, sid)  # inside the leeway


async def test_nbf_and_iat_in_the_future(live: Live, sid: int) -> None:
    leeway = live.client.app[settings_key].token_leeway_seconds
    t = int(now().timestamp())
    early = forge(live.client, good_payload(live.client, sid, nbf=t + leeway + 60))
    await refused(live.client, early, "not_yet_valid", sid)
    future_iat = forge(live.client, good_payload(live.client, sid, iat=t + leeway + 60))
    await refused(live.client, future_iat, "not_yet_valid", sid)


AUDIENCES: list[Any] = [
    "forumlive:session:{sid}x",
    "forumlive:session:{sid}0",
    "forumlive:session:{sid} ",
    " forumlive:session:{sid}",
    "Forumlive:session:{sid}",
    "forumlive:session:{sid}/extra",
    "forumlive:session:",
    "forumlive:session",
    "forumlive",
    "",
    ["forumlive:session:{sid}"],
    ["forumlive:session:{sid}", "forumlive:session:{sid}"],
    None,
]


async def test_wrong_or_prefix_matching_audience(live: Live, sid: int) -> None:
    for aud in AUDIENCES:
        if isinstance(aud, str):
            aud = aud.format(sid=sid)
        elif isinstance(aud, list):
            aud = [a.format(sid=sid) for a in aud]
        token = forge(live.client, good_payload(live.client, sid, aud=aud))
        await refused(live.client, token, "invalid_token", sid)
        await refused(live.client, token, "invalid_token")


ISSUERS: list[Any] = [
    "forumlive-evil",
    "forumliv",
    "forumlive ",
    "FORUMLIVE",
    "",
    "https://forumlive",
    ["forumlive"],
    1,
    None,
]


async def test_wrong_or_prefix_matching_issuer(live: Live, sid: int) -> None:
    for iss in ISSUERS:
        token = forge(live.client, good_payload(live.client, sid, iss=iss))
        await refused(live.client, token, "invalid_token", sid)


async def test_missing_required_claims(live: Live, sid: int) -> None:
    for claim in REQUIRED_CLAIMS:
        payload = good_payload(live.client, sid)
        del payload[claim]
        await refused(live.client, forge(live.client, payload), "invalid_token", sid)


MALFORMED: list[dict[str, Any]] = [
    {"email": "a@example.org"},  # an extra claim: not a join token
    {"sid": "{sid}"},
    {"sid": True},
    {"sid": 0},
    {"role": "admin"},
    {"role": "Moderator"},
    {"sub": "a b"},
    {"sub": ""},
    {"sub": 42},
    {"jti": ""},
    {"jti": "x" * 65},
    {"exp": "9999999999"},
    {"nbf": 1.5},
]


async def test_malformed_claims(live: Live, sid: int) -> None:
    for change in MALFORMED:
        change = {
            k: (v.format(sid=sid) if isinstance(v, str) and "{sid}" in v else v)
            for k, v in change.items()
        }
        token = forge(live.client, good_payload(live.client, sid, **change))
        await refused(live.client, token, "invalid_token", sid)


async def test_header_must_be_ours(live: Live, sid: int) -> None:
    payload = good_payload(live.client, sid)
    await refused(live.client, forge(live.client, payload, typ=None), "invalid_token", sid)
    await refused(live.client, forge(live.client, payload, typ="at+jwt"), "invalid_token", sid)
    await refused(live.client, forge(live.client, payload, crit=["exp"]), "invalid_token", sid)
    no_kid = jwt.encode(
        payload,
        live.client.app[keyring_key].signer.private,
        "EdDSA",  # type: ignore[union-attr]
    )
    await refused(live.client, no_kid, "invalid_token", sid)


INJECTED_KIDS: list[Any] = [
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "/etc/passwd",
    "' OR '1'='1",
    "x'; DROP TABLE signing_keys; --",
    "1 UNION SELECT private_key FROM signing_keys",
    "a" * 200,
    "",
    7,
    None,
    ["kid"],
]


async def test_injected_kid_is_never_looked_up(live: Live, sid: int) -> None:
    app = live.client.app
    reloads = app[keyring_key].reloads
    for kid in INJECTED_KIDS:
        token = forge(live.client, good_payload(live.client, sid), kid=kid)
        await refused(live.client, token, "invalid_token", sid)
    assert app[keyring_key].reloads == reloads  # not even a cache refresh was triggered
    async with app[db_key].read() as s:
        assert await s.scalar(select(func.count()).select_from(SigningKey)) == 1


async def test_unknown_well_formed_kid_refreshes_at_most_once_per_second(
    live: Live, sid: int
) -> None:
    app = live.client.app
    signer = app[keyring_key].signer
    assert signer is not None
    token = jwt.encode(
        good_payload(live.client, sid), signer.private, "EdDSA", {"kid": "AAAAAAAAAAAAAAAA"}
    )
    reloads = app[keyring_key].reloads
    for _ in range(20):
        await refused(live.client, token, "invalid_token", sid)
    assert app[keyring_key].reloads - reloads <= 1


class _Spy:
    """A real HTTP server that counts every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.json_response({"keys": []})


async def test_jku_jwk_x5u_headers_are_never_fetched_nor_trusted(
    live: Live, sid: int, aiohttp_server: Any
) -> None:
    spy = _Spy()
    spy_app = web.Application()
    spy_app.router.add_route("*", "/{tail:.*}", spy.handle)
    server = await aiohttp_server(spy_app)
    url = str(server.make_url("/jwks.json"))
    attacker = Ed25519PrivateKey.generate()
    raw = attacker.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    attacker_jwk = jwk("attackerkid00001", raw)
    spy_app_jwks = {"keys": [attacker_jwk]}  # what a naive verifier would fetch
    assert spy_app_jwks["keys"][0]["kid"] == "attackerkid00001"
    payload = good_payload(live.client, sid)
    our_kid = live.client.app[keyring_key].signer.kid  # type: ignore[union-attr]
    headers_variants = [
        {"kid": "attackerkid00001", "jku": url},
        {"kid": our_kid, "jku": url},
        {"kid": "attackerkid00001", "jwk": attacker_jwk},
        {"kid": our_kid, "jwk": attacker_jwk},
        {"kid": "attackerkid00001", "x5u": url},
        {"kid": our_kid, "x5u": url, "x5c": ["MIIB"]},
    ]
    for headers in headers_variants:
        token = jwt.encode(payload, attacker, "EdDSA", headers=headers)
        await refused(live.client, token, "invalid_token", sid)
    # Even signed with our own key, a token carrying a key reference is not one of ours.
    for extra in ({"jku": url}, {"jwk": attacker_jwk}, {"x5u": url}):
        await refused(live.client, forge(live.client, payload, **extra), "invalid_token", sid)
    assert spy.requests == []
    # The spy was reachable all along: the absence of requests means something.
    async with live.client.session.get(url) as r:
        assert r.status == 200
    assert spy.requests == ["/jwks.json"]


async def test_tampered_payload_or_header(live: Live, sid: int) -> None:
    token = await live.token(await live.factory.user(), sid)
    head, payload, sig = token.split(".")
    claims = claims_of(token)
    for change in ({"role": "moderator"}, {"sid": sid + 1}, {"exp": claims["exp"] + 3600}):
        forged = b64json(claims | change)
        await refused(live.client, f"{head}.{forged}.{sig}", "invalid_token", sid)
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    await refused(live.client, f"{head}.{payload}.{flipped}", "invalid_token", sid)
    for junk in ("", "a", "a.b", "a.b.c", "..", token + ".x", "x" * 5000, token[:-1]):
        await refused(live.client, junk, "invalid_token", sid)


async def test_revoked_jti(live: Live, sid: int) -> None:
    user = await live.factory.user()
    token, other = await live.token(user, sid), await live.token(user, sid)
    c = claims_of(token)
    await revoke_jti(live.client.app, c["jti"], c["exp"])
    await refused(live.client, token, "revoked", sid)
    await verify_join_token(live.client.app, other, sid)  # only that one token


async def test_token_for_another_session(live: Live, sid: int) -> None:
    other = await live.session(timedelta(minutes=5), kind="broadcast")
    token = await live.token(await live.factory.user(), other["id"])
    await refused(live.client, token, "wrong_session", sid)
    await verify_join_token(live.client.app, token, other["id"])


async def test_token_of_a_retired_key(live: Live, sid: int) -> None:
    app = live.client.app
    token = await live.token(await live.factory.user(), sid)
    old_kid = jwt.get_unverified_header(token)["kid"]
    keyring = app[keyring_key]
    await rotate(app[db_key], keyring.box)
    await keyring.reload()
    await verify_join_token(app, token, sid)  # rotated out, not retired: still good
    # Nothing retires while the token it signed is alive ...
    assert await retire_expired(app[db_key], leeway_seconds=10) == []
    # ... so age the key past its last token and the settling time.
    async with app[db_key].write() as s:
        await s.execute(
            update(SigningKey)
            .where(SigningKey.kid == old_kid)
            .values(
                rotated_out_at=now() - timedelta(minutes=5),
                last_token_expires_at=now() - timedelta(minutes=1),
            )
        )
    assert await retire_expired(app[db_key], leeway_seconds=10) == [old_kid]
    await keyring.reload()
    await refused(live.client, token, "invalid_token", sid)
    assert old_kid not in {k["kid"] for k in keyring.jwks()}


async def test_a_mediamtx_token_is_not_a_join_token(live: Live, sid: int) -> None:
    payload = good_payload(live.client, sid, aud="forumlive:mediamtx")
    payload["mediamtx_permissions"] = [{"action": "publish", "path": "x"}]
    await refused(live.client, forge(live.client, payload), "invalid_token", sid)

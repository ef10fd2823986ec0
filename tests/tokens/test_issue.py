"""POST /api/v1/sessions/{id}/join: every issuing rule, and every refusal with its code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import func, select, update

from server.appkeys import db_key, keyring_key
from server.db.tables import Session, Signup
from server.tokens.revocation import ban
from tests.tokens.conftest import Live, claims_of, now

LOBBY = timedelta(minutes=15)
GREEN = timedelta(minutes=30)
GRACE = timedelta(minutes=15)


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _ts(iso: str) -> int:
    return int(_at(iso).timestamp())


async def test_signed_up_participant_gets_a_token_with_exactly_the_claims(live: Live) -> None:
    s = await live.session(timedelta(minutes=5))  # workshop: capacity 2, sign-up required
    assert s["open_to_all"] is False
    user = await live.factory.user(name="Ada Lovelace", email="ada@example.org")
    await live.signup(user, s["id"])
    status, body = await live.join(user, s["id"])
    assert status == 200, body
    token = body["token"]
    header = jwt.get_unverified_header(token)
    assert header == {
        "alg": "EdDSA",
        "typ": "JWT",
        "kid": live.client.app[keyring_key].signer.kid,  # type: ignore[union-attr]
    }
    c = claims_of(token)
    assert set(c) == {"iss", "aud", "sub", "sid", "role", "nbf", "exp", "iat", "jti"}
    assert c["iss"] == "forumlive"
    assert c["aud"] == f"forumlive:session:{s['id']}"
    assert c["sub"] == user["public_id"]
    assert c["sid"] == s["id"]
    assert c["role"] == "participant"
    assert c["nbf"] == _ts(s["start_utc"]) - int(LOBBY.total_seconds())
    assert c["exp"] == _ts(s["end_utc"]) + int(GRACE.total_seconds())
    assert abs(c["iat"] - now().timestamp()) < 5
    assert body["not_before"] == (_at(s["start_utc"]) - LOBBY).isoformat().replace("+00:00", "Z")
    # No PII: neither the email nor the name appear anywhere in the token.
    for secret in ("ada@example.org", "Ada", "Lovelace"):
        assert secret not in str(c) and secret not in str(header)


async def test_no_signup_is_not_registered(live: Live) -> None:
    s = await live.session(timedelta(minutes=5))
    user = await live.factory.user()
    status, body = await live.join(user, s["id"])
    assert (status, body["error"]["code"]) == (403, "not_registered")


async def test_open_to_all_admits_any_registered_participant(live: Live) -> None:
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    assert s["open_to_all"] is True and s["capacity"] is None
    status, body = await live.join(await live.factory.user(), s["id"])
    assert status == 200, body
    assert claims_of(body["token"])["role"] == "participant"


async def test_anonymous_callers_get_401(live: Live) -> None:
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    r = await live.client.post(f"/api/v1/sessions/{s['id']}/join")
    assert r.status == 401
    assert (await r.json())["error"]["code"] == "unauthorized"


async def test_unknown_session_is_404(live: Live) -> None:
    status, body = await live.join(await live.factory.user(), 999_999)
    assert (status, body["error"]["code"]) == (404, "not_found")


async def test_waitlisted_participant_is_told_full(live: Live) -> None:
    s = await live.session(timedelta(minutes=5))  # capacity 2
    users = [await live.factory.user() for _ in range(3)]
    for u in users:
        await live.signup(u, s["id"])
    assert (await live.join(users[0], s["id"]))[0] == 200
    status, body = await live.join(users[2], s["id"])
    assert (status, body["error"]["code"]) == (409, "full")
    assert body["error"]["details"]["waitlisted"] is True


async def test_open_interactive_session_counts_seats_as_people_join(live: Live) -> None:
    s = await live.session(timedelta(minutes=5), open_to_all=True)
    assert s["capacity"] == 2 and s["open_to_all"] is True
    a, b, c = [await live.factory.user() for _ in range(3)]
    assert (await live.join(a, s["id"]))[0] == 200
    assert (await live.join(a, s["id"]))[0] == 200  # the same person keeps their seat
    assert (await live.join(b, s["id"]))[0] == 200
    status, body = await live.join(c, s["id"])
    assert (status, body["error"]["code"]) == (409, "full")
    async with live.client.app[db_key].read() as sess:
        seats = await sess.scalar(
            select(func.count()).where(Signup.session_id == s["id"], Signup.status == "confirmed")
        )
    assert seats == 2
    # A freed seat admits the next person.
    r = await live.client.delete(f"/api/v1/sessions/{s['id']}/signup", headers=a["headers"])
    assert r.status == 200
    assert (await live.join(c, s["id"]))[0] == 200


async def test_before_the_lobby_opens_is_not_open_yet_with_opens_at(live: Live) -> None:
    s = await live.session(timedelta(minutes=60), kind="broadcast")
    status, body = await live.join(await live.factory.user(), s["id"])
    assert (status, body["error"]["code"]) == (409, "not_open_yet")
    opens = _at(body["error"]["details"]["opens_at"])
    assert opens == _at(s["start_utc"]) - LOBBY


async def test_speakers_and_moderators_enter_the_green_room_first(live: Live) -> None:
    speaker, moderator, participant = [await live.factory.user() for _ in range(3)]
    sp, mo = await live.person_for(speaker), await live.person_for(moderator)
    s = await live.session(
        timedelta(minutes=20), kind="broadcast", speaker_ids=[sp["id"]], moderator_ids=[mo["id"]]
    )
    status, body = await live.join(participant, s["id"])
    assert (status, body["error"]["code"]) == (409, "not_open_yet")
    start = _ts(s["start_utc"])
    for user, role in ((speaker, "speaker"), (moderator, "moderator")):
        status, body = await live.join(user, s["id"])
        assert status == 200, body
        c = claims_of(body["token"])
        assert c["role"] == role
        assert c["nbf"] == start - int(GREEN.total_seconds())


async def test_organisers_join_any_session_as_moderators(live: Live) -> None:
    s = await live.session(timedelta(minutes=5))  # sign-up required, yet not for organisers
    organiser = await live.factory.user("organiser")
    status, body = await live.join(organiser, s["id"])
    assert status == 200, body
    assert claims_of(body["token"])["role"] == "moderator"


async def test_requested_roles_may_only_go_down_and_captioner_is_for_moderators(
    live: Live,
) -> None:
    speaker, moderator, participant = [await live.factory.user() for _ in range(3)]
    sp, mo = await live.person_for(speaker), await live.person_for(moderator)
    s = await live.session(
        timedelta(minutes=5), kind="broadcast", speaker_ids=[sp["id"]], moderator_ids=[mo["id"]]
    )
    for user, role in (
        (participant, "speaker"),
        (participant, "moderator"),
        (speaker, "moderator"),
    ):
        status, body = await live.join(user, s["id"], role)
        assert (status, body["error"]["code"]) == (403, "role_not_allowed"), (role, body)
    for user in (participant, speaker):
        status, body = await live.join(user, s["id"], "captioner")
        assert (status, body["error"]["code"]) == (403, "role_not_allowed")
    assert claims_of(await live.token(speaker, s["id"], "participant"))["role"] == "participant"
    assert claims_of(await live.token(moderator, s["id"], "captioner"))["role"] == "captioner"
    r = await live.client.post(
        f"/api/v1/sessions/{s['id']}/join", headers=participant["headers"], params={"role": "x"}
    )
    assert r.status == 422


async def test_the_grace_period_then_ended(live: Live) -> None:
    in_grace = await live.session(timedelta(minutes=-70), minutes=60, kind="broadcast")
    user = await live.factory.user()
    status, body = await live.join(user, in_grace["id"])
    assert status == 200, body
    assert claims_of(body["token"])["exp"] == _ts(in_grace["end_utc"]) + int(GRACE.total_seconds())
    past = await live.session(timedelta(minutes=-80), minutes=60, kind="broadcast")
    status, body = await live.join(user, past["id"])
    assert (status, body["error"]["code"]) == (409, "ended")


async def test_a_session_ended_by_its_moderator_is_ended(live: Live) -> None:
    s = await live.session(timedelta(minutes=-10), kind="broadcast")
    async with live.client.app[db_key].write() as sess:
        await sess.execute(update(Session).where(Session.id == s["id"]).values(state="ended"))
    status, body = await live.join(await live.factory.user(), s["id"])
    assert (status, body["error"]["code"]) == (409, "ended")


async def test_cancelled_session_refuses_everyone(live: Live) -> None:
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    r = await live.client.post(
        f"/api/v1/sessions/{s['id']}/cancel", headers=await live.factory.organiser_headers()
    )
    assert r.status == 200
    for user in (await live.factory.user(), await live.factory.user("organiser")):
        status, body = await live.join(user, s["id"])
        assert (status, body["error"]["code"]) == (409, "cancelled")


async def test_banned_people_are_refused_until_the_ban_ends(live: Live) -> None:
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    user, mod = await live.factory.user(), await live.factory.user("moderator")
    app = live.client.app
    await ban(
        app,
        user_public_id=user["public_id"],
        session_id=s["id"],
        by_user_id=mod["id"],
        reason="spam",
        until=None,
    )
    status, body = await live.join(user, s["id"])
    assert (status, body["error"]["code"]) == (403, "banned")
    assert body["error"]["details"] == {"until": None}
    until = now() + timedelta(minutes=10)
    await ban(
        app,
        user_public_id=user["public_id"],
        session_id=s["id"],
        by_user_id=mod["id"],
        reason="cool down",
        until=until,
    )
    status, body = await live.join(user, s["id"])
    assert (status, body["error"]["code"]) == (403, "banned")
    assert body["error"]["details"] == {"until": until.isoformat().replace("+00:00", "Z")}
    # A ban that has run out no longer refuses.
    await ban(
        app,
        user_public_id=user["public_id"],
        session_id=s["id"],
        by_user_id=mod["id"],
        reason="spam",
        until=datetime.now(UTC) - timedelta(seconds=1),
    )
    assert (await live.join(user, s["id"]))[0] == 200


async def test_issued_window_is_the_session_window_plus_grace(live: Live) -> None:
    s = await live.session(timedelta(minutes=1), minutes=90, kind="broadcast")
    c = claims_of(await live.token(await live.factory.user(), s["id"]))
    length = _ts(s["end_utc"]) - _ts(s["start_utc"])
    assert c["exp"] - c["nbf"] == length + int((LOBBY + GRACE).total_seconds())


async def test_token_requests_are_rate_limited_per_person(aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    from server.app import create_app
    from tests.factories import Factory

    client = await aiohttp_client(
        create_app(settings.model_copy(update={"join_rate_per_minute": 3}))
    )
    live = await Live(Factory(client)).setup()
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    user, other = await live.factory.user(), await live.factory.user()
    for _ in range(3):
        assert (await live.join(user, s["id"]))[0] == 200
    r = await client.post(f"/api/v1/sessions/{s['id']}/join", headers=user["headers"])
    assert r.status == 429
    assert (await r.json())["error"]["code"] == "too_many_requests"
    assert int(r.headers["Retry-After"]) >= 1
    assert (await live.join(other, s["id"]))[0] == 200  # others are not affected

"""Properties of every token the issuing decision can produce (hypothesis).

The decision is pure (``server.tokens.rules.decide``), so hypothesis can walk its
whole space — states, roles, sign-ups, capacities, leads, grace, the clock — and
every grant is signed by the real signing step and read back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.lifecycle import Leads
from server.tokens.join import REQUIRED_CLAIMS, sign_join_token
from server.tokens.keys import Signer
from server.tokens.rules import (
    PANEL_ROLES,
    REFUSAL_STATUS,
    TOKEN_ROLES,
    JoinFacts,
    JoinPolicy,
    JoinRefused,
    decide,
)

_KEY = Ed25519PrivateKey.generate()
_SIGNER = Signer("propertykey00001", _KEY, {"kid": "propertykey00001"})
_BASE = datetime(2021, 5, 17, 8, 0, tzinfo=UTC)

names = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=6, max_size=30
).map(lambda s: "Zq" + s)  # "Zq": never a substring of hex ids, base64 jti, or claim names
emails = st.builds(lambda local, host: f"{local}@{host}.org", names, names)


@st.composite
def cases(draw: st.DrawFn) -> tuple[JoinFacts, str | None, datetime, JoinPolicy, str, str]:
    start = _BASE + timedelta(minutes=draw(st.integers(-60 * 24 * 120, 60 * 24 * 120)))
    minutes = draw(st.integers(0, 60 * 24 * 5))  # 0: a zero-length session still has rules
    facts = JoinFacts(
        session_id=draw(st.integers(1, 10**9)),
        subject=draw(st.uuids()).hex,
        # Weighted towards joinable sessions, so most examples end in a token.
        state=draw(
            st.sampled_from(["scheduled"] * 4 + ["lobby", "live"] * 2 + ["ended", "cancelled"])
        ),
        start=start,
        end=start + timedelta(minutes=minutes),
        capacity=draw(st.none() | st.integers(0, 50)),
        open_to_all=draw(st.booleans()),
        interactive=draw(st.booleans()),
        entitled=draw(st.sampled_from(["organiser", "moderator", "speaker", "participant"])),
        signup=draw(st.sampled_from([None, "confirmed", "waitlisted"])),
        banned=draw(st.integers(0, 9)) == 0,
    )
    policy = JoinPolicy(
        Leads.minutes(draw(st.floats(0, 120)), draw(st.floats(0, 240))),
        timedelta(minutes=draw(st.floats(0, 120))),
    )
    now = start + timedelta(seconds=draw(st.integers(-4 * 3600, minutes * 60 + 3 * 3600)))
    requested = draw(st.none() | st.sampled_from(sorted(TOKEN_ROLES)))
    return facts, requested, now, policy, draw(names), draw(emails)


@settings(max_examples=400, deadline=None)
@given(cases())
def test_every_issued_token_fits_its_window_and_carries_no_pii(
    case: tuple[JoinFacts, str | None, datetime, JoinPolicy, str, str],
) -> None:
    facts, requested, now, policy, name, email = case
    try:
        grant = decide(facts, requested, now, policy)
    except JoinRefused as refusal:
        assert refusal.code in REFUSAL_STATUS
        assert refusal.status == REFUSAL_STATUS[refusal.code]
        return
    issued = sign_join_token(_SIGNER, "forumlive", grant, int(now.timestamp()))
    header = jwt.get_unverified_header(issued.token)
    claims = jwt.decode(
        issued.token,
        _KEY.public_key(),
        algorithms=["EdDSA"],
        audience=f"forumlive:session:{facts.session_id}",
        issuer="forumlive",
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    # The window: lobby (or green room for the panel) to end + grace, never longer.
    lead = max(policy.leads.lobby, policy.leads.green_room)
    longest = (facts.end - facts.start) + lead + policy.grace
    assert claims["exp"] - claims["nbf"] <= longest.total_seconds()
    lead_for_role = (
        max(policy.leads.lobby, policy.leads.green_room)
        if grant.role in PANEL_ROLES
        else policy.leads.lobby
    )
    assert claims["nbf"] >= (facts.start - lead_for_role).timestamp()
    assert claims["exp"] <= (facts.end + policy.grace).timestamp()
    # Issued only inside the window, to someone neither banned nor outside a cancelled session.
    assert claims["nbf"] <= now.timestamp() + 1 and now.timestamp() < claims["exp"] + 1
    assert not facts.banned and facts.state not in ("cancelled", "ended")
    assert claims["role"] in TOKEN_ROLES and claims["sub"] == facts.subject
    # No PII: exactly the join claims, nothing about the person but the opaque id.
    assert set(claims) == set(REQUIRED_CLAIMS)
    assert set(header) == {"alg", "kid", "typ"}
    text = json.dumps(claims) + json.dumps(header)
    assert name not in text and email not in text and "@" not in text

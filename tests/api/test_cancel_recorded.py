"""Cancelling is a lifecycle change like the others: recorded with who did it."""

from __future__ import annotations


async def test_cancel_is_recorded_with_the_organiser(factory):
    prog = await factory.programme()
    session = await factory.session(prog)
    headers = await factory.organiser_headers()
    r = await factory.client.post(f"/api/v1/sessions/{session['id']}/cancel", headers=headers)
    assert r.status == 200
    again = await factory.client.post(f"/api/v1/sessions/{session['id']}/cancel", headers=headers)
    assert again.status == 200  # idempotent: no second record
    r = await factory.client.get(f"/api/v1/sessions/{session['id']}/transitions", headers=headers)
    assert r.status == 200
    cancels = [t for t in await r.json() if t["to"] == "cancelled"]
    assert len(cancels) == 1
    assert cancels[0]["from"] == "scheduled"
    assert (cancels[0]["cause"], cancels[0]["action"]) == ("moderator", "cancel")
    assert cancels[0]["by"] is not None

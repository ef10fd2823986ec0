from __future__ import annotations


async def test_programme_round_trip(factory):
    prog = await factory.programme()
    s = await factory.session(prog, speaker_ids=[prog["people"][0]["id"]])
    r = await factory.client.get(f"/api/v1/sessions/{s['id']}")
    assert r.status == 200
    body = await r.json()
    assert body["start_utc"] == "2021-05-18T08:00:00Z"
    assert body["speakers"][0]["name"] == "Speaker 0"
    r = await factory.client.get("/api/v1/agenda", params={"tz": "America/New_York"})
    agenda = await r.json()
    assert agenda["total"] == 1
    assert agenda["sessions"][0]["start_local"] == "2021-05-18T04:00:00-04:00"

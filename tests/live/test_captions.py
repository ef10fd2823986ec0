"""Captions: captioners push lines, everyone sees them, they are kept and exported as WebVTT."""

from __future__ import annotations

from datetime import timedelta

from server.live.webvtt import Cue, escape, render, timestamp
from tests.live.support import Peers, Stage, now


async def test_a_captioner_pushes_lines_that_everyone_sees_and_vtt_exports(
    stage: Stage, peers: Peers
) -> None:
    captioner_token = await stage.quick_token(stage.moderator, role="captioner")
    captioner = await peers.new().connect(captioner_token)
    assert captioner.welcome["you"]["role"] == "captioner"
    alice = await peers.join()
    await captioner.ok("caption:push", {"text": "Welcome to the WSIS Forum.", "duration_ms": 2500})
    await captioner.ok("caption:push", {"text": "Bienvenue <à> tous & toutes", "lang": "fr"})
    await captioner.ok("caption:push", {"text": "Our first speaker -->"})
    lines = await alice.next("caption:line", 3)
    assert [line["text"] for line in lines] == [
        "Welcome to the WSIS Forum.",
        "Bienvenue <à> tous & toutes",
        "Our first speaker -->",
    ]
    assert lines[1]["lang"] == "fr" and lines[0]["duration_ms"] == 2500

    viewer = await stage.factory.user()
    r = await stage.client.get(
        f"/api/v1/sessions/{stage.sid}/captions.vtt", headers=viewer["headers"]
    )
    assert r.status == 200
    assert r.content_type == "text/vtt" and r.charset == "utf-8"
    body = await r.text()
    assert body.startswith("WEBVTT\n\n")
    assert "Bienvenue &lt;à&gt; tous &amp; toutes" in body
    assert "Our first speaker --&gt;" in body and "-->\n" not in body.replace(" --> ", "")
    cues = [block for block in body.split("\n\n")[1:] if block.strip()]
    assert len(cues) == 3
    first_timing = cues[0].split("\n")[1]
    start, end = first_timing.split(" --> ")
    assert end > start

    r = await stage.client.get(
        f"/api/v1/sessions/{stage.sid}/captions.vtt",
        params={"lang": "fr"},
        headers=viewer["headers"],
    )
    assert (await r.text()).count(" --> ") == 1


async def test_only_captioners_and_moderators_push_captions(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    error = await alice.error("caption:push", {"text": "let me caption"})
    assert error["code"] == "forbidden"
    mod = await peers.moderator()
    await mod.ok("caption:push", {"text": "moderators may"})
    assert (await mod.error("caption:push", {"text": " "}))["code"] == "empty"
    assert (await mod.error("caption:push", {"text": "x" * 501}))["code"] == "too_long"
    assert (await mod.error("caption:push", {"text": "ok", "lang": "EN!"}))["code"] == (
        "invalid_payload"
    )


async def test_the_vtt_export_needs_an_account_and_a_session(stage: Stage) -> None:
    r = await stage.client.get(f"/api/v1/sessions/{stage.sid}/captions.vtt")
    assert r.status == 401
    viewer = await stage.factory.user()
    r = await stage.client.get("/api/v1/sessions/999999/captions.vtt", headers=viewer["headers"])
    assert r.status == 404
    assert (await r.json())["error"]["code"] == "not_found"


def test_webvtt_cues_end_at_the_next_cue_and_are_escaped() -> None:
    origin = now()
    cues = [
        Cue(1, origin + timedelta(seconds=1), "one"),
        Cue(2, origin + timedelta(seconds=2), "two\n\n\nlines"),
        Cue(3, origin + timedelta(seconds=10), "<v Bob>fake voice", duration_ms=1500),
        Cue(4, origin - timedelta(seconds=5), "before the start"),
    ]
    assert render(cues, origin).split("\n") == [
        "WEBVTT",
        "",
        "1",
        "00:00:01.000 --> 00:00:02.000",
        "one",
        "",
        "2",
        "00:00:02.000 --> 00:00:06.000",
        "two",
        "lines",
        "",
        "3",
        "00:00:10.000 --> 00:00:11.500",
        "&lt;v Bob&gt;fake voice",
        "",
        "4",
        "00:00:00.000 --> 00:00:04.000",
        "before the start",
        "",
    ]
    assert timestamp(3_723_004) == "01:02:03.004"
    assert escape("a --> b & c") == "a --&gt; b &amp; c"

"""Pure parts: text cleaning, the history window and the resume decision."""

from __future__ import annotations

from server.live.history import History
from server.live.resume import chat_welcome
from server.live.text import clean


def msg(seq: int) -> dict[str, object]:
    return {"seq": seq, "text": f"m{seq}"}


def test_clean_keeps_text_and_drops_controls() -> None:
    assert clean("  a\u0000b\u200bc\u202ed  ") == "abcd"
    assert clean("one\r\ntwo\rthree") == "one\ntwo\nthree"
    assert clean("title\nbody", multiline=False) == "title body"
    assert clean("<b>&amp;</b>") == "<b>&amp;</b>"


def test_history_is_complete_above_its_floor() -> None:
    h = History(capacity=5)
    h.load([msg(s) for s in (3, 4)], deleted=set(), floor=2)
    for seq in (6, 5, 7, 8):  # out of order across nodes
        h.add(msg(seq))
    assert [m["seq"] for m in h.recent(10)] == [4, 5, 6, 7, 8]
    assert h.floor == 3 and h.last_seq == 8
    assert h.covers(3) and not h.covers(2)
    h.add(msg(2))  # below the floor: already trimmed history, ignored
    assert [m["seq"] for m in h.after(5)] == [6, 7, 8]
    h.delete(6)
    assert [m["seq"] for m in h.after(5)] == [7, 8]
    assert h.deleted_seqs() == [6]
    assert h.get(6) is None and h.get(7) == msg(7)


def test_the_welcome_resumes_inside_the_window_and_starts_fresh_outside() -> None:
    h = History(capacity=100)
    h.load([msg(s) for s in range(1, 11)], deleted={4}, floor=0)
    fresh = chat_welcome(h, None, history_size=3)
    assert fresh["recovered"] is False and [m["seq"] for m in fresh["messages"]] == [8, 9, 10]
    resumed = chat_welcome(h, 7, history_size=3)
    assert resumed["recovered"] is True and [m["seq"] for m in resumed["messages"]] == [8, 9, 10]
    assert resumed["deleted"] == [4]
    caught_up = chat_welcome(h, 10, history_size=3)
    assert caught_up["recovered"] is True and caught_up["messages"] == []
    ahead = chat_welcome(h, 11, history_size=3)
    assert ahead["recovered"] is False and ahead["resumed"] is True

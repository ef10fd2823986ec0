"""The panel rules behind the ``warnings`` field and the reports (pure, no database)."""

from __future__ import annotations

from server.domain.balance import (
    NO_WOMAN_SPEAKER,
    SINGLE_STAKEHOLDER_GROUP,
    Speaker,
    lacks_woman_speaker,
    panel_warnings,
)

MAN_GOV = Speaker("man", "government")
UNDECLARED_GOV = Speaker(None, "government")
WOMAN_GOV = Speaker("woman", "government")
MAN_ACADEMIA = Speaker("man", "academia")


def test_a_balanced_panel_has_no_warning():
    assert panel_warnings([WOMAN_GOV, MAN_ACADEMIA]) == []


def test_an_all_male_single_group_panel_gets_both_warnings():
    assert panel_warnings([MAN_GOV, UNDECLARED_GOV]) == [
        NO_WOMAN_SPEAKER,
        SINGLE_STAKEHOLDER_GROUP,
    ]


def test_each_warning_alone():
    assert panel_warnings([MAN_GOV, MAN_ACADEMIA]) == [NO_WOMAN_SPEAKER]
    assert panel_warnings([WOMAN_GOV, MAN_GOV]) == [SINGLE_STAKEHOLDER_GROUP]


def test_one_speaker_is_no_panel_but_still_counts_in_the_report():
    assert panel_warnings([MAN_GOV]) == []
    assert lacks_woman_speaker([MAN_GOV])
    assert not lacks_woman_speaker([])  # no speakers at all (an exhibition) is not flagged

"""Button data: every kind reads back what it wrote, fits Telegram's 64 bytes, and data no
button of ours has is refused, not guessed at."""

from __future__ import annotations

import re

import pytest

from handlers.callbacks import (
    Acknowledge,
    AlbumCategory,
    BadButton,
    ChooseLanguage,
    ClientsPage,
    FileCategory,
    ImportDecision,
    OpenClient,
    OpenReport,
    PlanAction,
    ReadingAction,
    ReportAction,
    ResumeVisit,
    ReviewDecision,
    StartPrechecks,
    UnknownId,
    VisitAction,
    VoiceConfirm,
)

BIG = 2**63 - 1
BUTTONS = [
    VisitAction(BIG, "a1b2c3d4", "c", "not_as_agreed"),
    VisitAction(12, "tok", "s"),
    ResumeVisit(BIG),
    FileCategory(BIG, 3),
    AlbumCategory(12, "13976543210987654", 2),
    StartPrechecks("C1001"),
    ReadingAction("oc", 5, "credit_code"),
    ReadingAction("oa", 5),
    ReadingAction("om", 5, "doc.business_licence"),
    VoiceConfirm(12, "tok"),
    PlanAction("s", "C1001"),
    OpenReport(12),
    ReportAction(4, "es", "2"),
    ReportAction(4, "w"),
    ReviewDecision(4, 2, approve=False),
    Acknowledge(9),
    ClientsPage(3),
    OpenClient("C1001"),
    ImportDecision(confirm=True),
    ChooseLanguage("en"),
]


@pytest.mark.parametrize("button", BUTTONS, ids=lambda b: type(b).__name__)
def test_every_button_reads_back_what_it_wrote(button):
    data = button.encode()
    assert len(data.encode()) <= 64
    assert type(button).parse(data) == button
    assert re.match(type(button).PATTERN, data)


def test_the_wire_format_of_buttons_already_sent_is_kept():
    assert VisitAction(12, "tok", "s").encode() == "v:12:tok:s:"
    assert ReportAction(4, "es", "2").encode() == "r:4:es:2"
    assert ReviewDecision(4, 2, approve=True).encode() == "rv:4:2:a"
    assert AlbumCategory(12, "g1", 0).encode() == "vg:12:g1:0"


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (VisitAction, "v:abc:tok:s:"),
        (VisitAction, "v:"),
        (ReviewDecision, "rv:4:2:x"),
        (ReviewDecision, "rv:4"),
        (PlanAction, "pl:q:C1001"),
        (PlanAction, "pl:v:"),
        (ReadingAction, "ox:5"),
        (AlbumCategory, "vg:12:nogroupindex"),
        (ClientsPage, "cl:q:2"),
        (ImportDecision, "imp:maybe"),
        (ChooseLanguage, "lang:fr"),
        (OpenReport, "r:12"),
    ],
)
def test_data_no_button_has_is_refused(kind, data):
    with pytest.raises(BadButton):
        kind.parse(data)


def test_a_row_id_beyond_64_bits_is_not_found_before_it_reaches_the_database():
    with pytest.raises(UnknownId):
        OpenReport.parse(f"rp:{2**64}")

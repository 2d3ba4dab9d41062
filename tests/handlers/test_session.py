"""The session: what typed text means now, and what survives a restart as JSON."""

from __future__ import annotations

import json

import pytest

from handlers.session import (
    Activity,
    Correction,
    PendingImport,
    ReportInput,
    Session,
    VoiceAnswer,
)


def test_a_new_user_is_doing_nothing():
    assert Session().activity() is Activity.NOTHING
    assert Session().to_json() == {}


@pytest.mark.parametrize(
    ("session", "activity"),
    [
        (Session(visit_id=1), Activity.VISIT),
        (Session(visit_id=1, correction=Correction(5, "name")), Activity.CORRECTION),
        (Session(visit_id=1, buttons=[[("中文", "lang:zh")]]), Activity.CHOOSING),
        (
            Session(visit_id=1, buttons=[[("a", "b")]], report_input=ReportInput(3, "remarks")),
            Activity.REPORT_INPUT,
        ),
        (Session(client_code="C001"), Activity.NOTHING),
    ],
)
def test_the_most_specific_wait_decides(session: Session, activity: Activity):
    assert session.activity() is activity


def test_leaving_a_visit_drops_its_voice_answer_too():
    session = Session(visit_id=1, voice_answer=VoiceAnswer(1, "t", "六"), client_code="C001")
    session.leave_visit()
    assert session == Session(client_code="C001")


def test_a_session_survives_as_json():
    session = Session(
        visit_id=7,
        client_code="C001",
        report_input=ReportInput(3, "section", section="basic"),
        correction=Correction(5, "credit_code"),
        voice_answer=VoiceAnswer(7, "abc", "五百万"),
        pending_import=PendingImport("/tmp/x.xlsx", "portfolio.xlsx"),
        buttons=[[("✅ 确认导入", "imp:ok"), ("✖️ 取消", "imp:no")]],
    )
    stored = json.loads(json.dumps(session.to_json()))
    assert Session.from_json(stored) == session


@pytest.mark.parametrize(
    "stored",
    [
        None,
        [],
        {"visit_id": "7"},
        {"report_input": {"report": 3, "what": "remarks"}},  # an older version's shape
        {"correction": "5:name"},
        {"buttons": "lang:zh"},
        {"awaiting_buttons": [["中文", "lang:zh"]], "active_visit": 3},
    ],
)
def test_a_malformed_or_older_session_starts_afresh_instead_of_failing(stored):
    assert Session.from_json(stored).activity() is Activity.NOTHING

"""A complete visit in console mode, scripted through piped input, for an individual and a
corporate demo client — including a pause, a restart of the console and a resume."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from assistant.access import AccessService
from assistant.config import Settings
from assistant.data.checklist import AnswerType, Item
from assistant.db.database import Database
from assistant.demo import seed_demo
from assistant.services import build_services
from assistant.visits import path
from assistant.visits.parsing import parse_quantity
from tests.conftest import REPO
from tests.test_bot import clean_env

SPOKEN = {
    "人": "三十五个人",
    "万元": "二十五万",
    "元": "两千五百元",
    "%": "百分之十五",
    "天": "三十天",
    "月": "三个月",
    "平方米": "一百二十平",
}


def console(tmp_path: Path, script: str) -> str:
    result = subprocess.run(
        [sys.executable, str(REPO / "bot.py"), "console", "--user", "officer"],
        input=script,
        cwd=tmp_path,
        env=clean_env(DATA_DIR=str(tmp_path / "data")),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def answer_for(item: Item, follow: bool) -> tuple[str, object]:
    """The line typed for ``item`` and the typed value the bot will record for it."""
    match item.type:
        case AnswerType.NUMBER | AnswerType.MONEY:
            spoken = SPOKEN[item.unit or "人"]
            value = float(parse_quantity(spoken, item.unit or "人").value) * item.scale
            return spoken, value
        case AnswerType.YES_NO:
            return ("是", True) if follow else ("否", False)
        case AnswerType.CHOICE:
            return ":press 1", item.options[0].id
        case AnswerType.DATE:
            return "今天", None
        case _:
            return "经营正常，与上次看到的一致", None


def script_for(checklist, item: Item, state: dict) -> list[str]:
    """Lines for ``item`` and, right after, for every follow-up the answer triggers."""
    follow = item.type is AnswerType.YES_NO and bool(item.follow_ups) and not state["followed"]
    line, value = answer_for(item, follow)
    lines = [line]
    children = checklist.follow_ups(item.id, value) if value is not None else []
    if children:
        state["followed"] = True
    for child in children:
        lines += script_for(checklist, child, state)
    return lines


async def first_session_script(settings, knowledge, tmp_path: Path, code: str) -> list[str]:
    """What the officer types, worked out from the same checklist and demo portfolio."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'plan.db'}")
    services = build_services(settings, database=database, knowledge=knowledge)
    await services.start()
    await seed_demo(services)
    card = await services.portfolio.client_card(
        AccessService.system_actor(), code, today=services.today()
    )
    await database.dispose()
    visits = services.visits
    kind, products = card.kind.value, {loan.product for loan in card.loans}
    lines = [f"/prep {code}", ":press ▶ 开始访前查询"]
    findings = {}
    for check in visits.checklist.prechecks_for(kind, products):
        adverse = check.id == "records.enforcement"
        result = check.result("adverse") if adverse else check.results[0]
        findings[check.id] = result.id
        lines.append(f":press {result.label.zh}")
        if adverse:
            lines.append("（2025）沪0101执1234号，欠货款8万元，2025年3月立案")  # asked at once
    lines += [
        "到了",
        ":loc 31.2304 121.4737",
        f":doc {tmp_path / 'statement.pdf'}",
        ":press 1",
        ":press 继续 ▶",
    ]
    # The console runs with the default settings: the depth they give this client.
    check = visits.default_check(card)
    depth = path.depth_for(card, check, Settings(_env_file=None).visit_depths)
    items = path.applicable(visits.checklist, card, check, findings, depth)
    at_lookup = {d for c in visits.checklist.prechecks for d in c.details}
    state = {"followed": False}
    for item in [i for i in items if i.step == "interview" and i.id not in at_lookup][:8]:
        lines += script_for(visits.checklist, item, state)
    assert state["followed"], "the script triggers a follow-up"
    return [*lines, "老板说的营业额和流水对不上怎么办？", ":press ⏸ 暂停"]


@pytest.mark.parametrize("code", ["C1001", "C1002"])
async def test_a_complete_visit_in_the_console(settings, knowledge, tmp_path, code):
    (tmp_path / "statement.pdf").write_bytes(b"%PDF-1.4 statement")
    photos = []
    for shade in (20, 90, 160):
        path = tmp_path / f"photo{shade}.jpg"
        buffer = io.BytesIO()
        Image.new("RGB", (80, 60), (shade, 120, 40)).save(buffer, "JPEG")
        path.write_bytes(buffer.getvalue())
        photos.append(str(path))

    first = console(
        tmp_path, "\n".join(await first_session_script(settings, knowledge, tmp_path, code)) + "\n"
    )
    assert "开始回访" in first and "已签到" in first and "已归类为" in first
    assert "三十五个人" in first or "二十五万" in first
    assert "回到当前问题" in first and "已暂停" in first

    second = console(
        tmp_path,
        "\n".join(
            [
                f"/visit {code}",
                ":skip-until 请拍照留存",
                f":album {' '.join(photos)}",
                ":press 1",
                f":photo {photos[0]}",
                ":press 1",
                ":press 继续 ▶",
                ":skip-until 回访小结",
                ":press ✅ 确认提交",
                ":press ✅ 仍然提交",
            ]
        )
        + "\n",
    )
    assert "继续上次的回访" in second
    assert "一组 3 张照片" in second
    assert "完全相同" in second
    assert "回访已完成并保存" in second

    import json
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "demo" / "demo.db") as db:
        status, findings = db.execute(
            "select status, findings from visits order by id desc"  # the demo has past visits
        ).fetchone()
        stored = db.execute(
            "select item_id, value, raw_text from visit_answers where status = 'answered'"
        ).fetchall()
    assert status == "finished"
    assert json.loads(findings)["records.enforcement"] == "adverse"
    numerals = {raw: json.loads(value)["v"] for _, value, raw in stored if raw in SPOKEN.values()}
    assert numerals, "answers typed in Chinese numerals are stored as numbers"
    assert all(isinstance(v, float) for v in numerals.values())

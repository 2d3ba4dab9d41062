"""What the logs keep of a whole conversation: ids and counts, never a customer's name, phone
or ID number.

One conversation does everything that handles personal data (a portfolio import with names and
an ID number, a client card, a visit with typed answers naming a person with their phone and ID
number, a question to the knowledge base quoting them, the report drafted, edited and submitted,
and a handler that fails), with every log record of every logger captured at DEBUG (root and
the libraries: telegram, httpx, SQLAlchemy, alembic, ...).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.conftest import ADMIN_ID, BotHarness, Team, submit_report, submit_visit
from tests.handlers.test_visit import skip_until
from tests.handlers.test_visit_complete import jpeg

PERSON, PHONE, ID_NUMBER = "张三", "13812345678", "110101199003071234"
NEW_CLIENT, NEW_OWNER = "王五便利店", "王五"
# The seeded client, its guarantor and officer, and everything the conversation types.
PERSONAL = (PERSON, PHONE, ID_NUMBER, NEW_CLIENT, NEW_OWNER, "张记五金店", "张父", "借给亲戚")
PROJECT_LOGGERS = ("assistant", "handlers", "bot", "botapi", "benchmarks", "__main__")

BAD_IMPORT = (
    "client_code,client_name,kind,officer_staff_no,credit_code,legal_representative\n"
    f"C100,{NEW_CLIENT},individual,E1,{ID_NUMBER},{NEW_OWNER}\n"
).encode()
GOOD_IMPORT = (
    "client_code,client_name,kind,officer_staff_no,registered_address,legal_representative\n"
    f"C100,{NEW_CLIENT},individual,E1,城西路8号（联系人{PERSON} {PHONE}）,{NEW_OWNER}\n"
).encode()
TYPED = f"{PERSON}，店长，电话{PHONE}，身份证{ID_NUMBER}"


@dataclass(frozen=True)
class Logged:
    logger: str
    level: int
    text: str  # the formatted message with its exception and stack, as a handler writes it


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[Logged] = []
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception as exc:  # noqa: BLE001 - a record that cannot be formatted counts too
            text = f"{record.msg!r} {record.args!r} ({type(exc).__name__})"
        self.records.append(Logged(record.name, record.levelno, text))


@contextmanager
def every_log_record_at_debug() -> Iterator[Everything]:
    """Root at DEBUG, every logger let through to it (levels and ``disabled`` restored)."""
    names = ["", "telegram", "httpx", "httpcore", "sqlalchemy", "alembic", "aiosqlite"]
    names += [n for n in logging.root.manager.loggerDict if isinstance(n, str)]
    saved = {}
    for name in dict.fromkeys(names):
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.disabled, logger.propagate)
        logger.setLevel(logging.DEBUG if name == "" else logging.NOTSET)
        logger.disabled = False
        if name:
            logger.propagate = True
    handler = Everything()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for name, (level, disabled, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.disabled = disabled
            logger.propagate = propagate


def leaks(records: list[Logged]) -> list[str]:
    found = []
    for record in records:
        for value in PERSONAL:
            if value in record.text:
                at = record.text.index(value)
                excerpt = record.text[max(0, at - 60) : at + 40].replace("\n", " ")
                found.append(
                    f"{record.logger} {logging.getLevelName(record.level)} {value}: …{excerpt}…"
                )
                break
    return found


def ours(record: Logged) -> bool:
    return record.logger.split(".")[0] in PROJECT_LOGGERS


async def conversation(bot: BotHarness, team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything that handles personal data, end to end."""
    admin, officer = bot.chat(ADMIN_ID), bot.chat(team.officer)

    # An import with a name and an ID number where the credit code goes: refused with the row
    # and column; then the corrected file, previewed and applied.
    await admin.send_document(BAD_IMPORT, "clients.csv", "text/csv")
    assert "第 2 行" in admin.last_text
    await admin.send_document(GOOD_IMPORT, "clients.csv", "text/csv")
    await admin.press("确认导入")
    await admin.send("/clients")
    assert NEW_CLIENT in admin.last_text

    await officer.send("/clients")
    await officer.send("/client C001")
    assert "张记五金店" in officer.last_text

    # The visit: a person's name, phone and ID number typed as answers, an unreadable answer,
    # and a question to the knowledge base quoting them.
    await officer.send("/visit C001")
    await skip_until(officer, "今天接待您的是谁")
    await officer.press("其他员工")
    assert "接待人的姓名和职务" in officer.last_text
    await officer.send(TYPED)
    await skip_until(officer, "单位：人")
    await officer.send("不太清楚，得问店长")
    assert "没能识别" in officer.text
    await officer.send(f"{PERSON}的身份证{ID_NUMBER}要复印留存吗？")
    assert "回到当前问题" in officer.last_text
    await skip_until(officer, "实际用途和借款合同约定的用途一致吗")
    await officer.press("不一致")
    await officer.send(f"借给亲戚{PERSON}交了购房首付，电话{PHONE}")
    await officer.send("五万")
    await skip_until(officer, "请拍照留存")
    await officer.send_photo(jpeg(10))
    await officer.press("门头、招牌和门牌号")
    await skip_until(officer, "回访小结")
    await submit_visit(officer)
    assert "回访已完成" in officer.last_text

    # The report: drafted, a narrative with the same data, submitted to the supervisor.
    await officer.press("📝 生成报告")
    assert "报告状态：草稿" in officer.last_text
    await officer.press("✏️ 修改叙述")
    await officer.press(1)
    await officer.send(f"{TYPED}。客户承认将五万元借给亲戚，已要求三日内归还。")
    assert "段落已更新" in officer.last_text
    await submit_report(officer)
    assert "已提交主管审批" in officer.last_text

    # A handler that fails: the officer is told, the operators get the traceback.
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the portfolio store went away")

    with monkeypatch.context() as patched:
        patched.setattr(bot.services.portfolio, "client_card", broken)
        await officer.send("/client C001")
    assert "抱歉" in officer.last_text


async def test_the_bots_own_logs_carry_no_personal_data_even_at_debug(
    bot: BotHarness, team: Team, monkeypatch: pytest.MonkeyPatch
):
    """Every record of the bot's own loggers at any level, and every library's record at INFO
    and above (what LOG_LEVEL=INFO, the default, writes): no name, phone or ID number."""
    with every_log_record_at_debug() as captured:
        await conversation(bot, team, monkeypatch)
    records = captured.records
    assert any(r.logger == "sqlalchemy.engine.Engine" for r in records), "capture works"
    failures = [r for r in records if r.logger == "handlers.errors" and "failed" in r.text]
    assert len(failures) == 1
    assert "(RuntimeError)" in failures[0].text
    assert "the portfolio store went away" not in failures[0].text, "messages quote input"
    assert leaks([r for r in records if ours(r)]) == []
    assert leaks([r for r in records if r.level >= logging.INFO]) == []


async def test_no_log_record_of_any_logger_carries_personal_data_at_debug(
    bot: BotHarness, team: Team, monkeypatch: pytest.MonkeyPatch
):
    with every_log_record_at_debug() as captured:
        await conversation(bot, team, monkeypatch)
    found = leaks(captured.records)
    by_logger = Counter(line.split(" ", 1)[0] for line in found)
    assert found == [], f"{dict(by_logger)}\n" + "\n".join(found[:40])


async def test_an_error_that_quotes_what_was_typed_is_logged_without_it(
    bot: BotHarness, team: Team, monkeypatch: pytest.MonkeyPatch
):
    async def parse_bug(viewer: object, code: str, **kwargs: object) -> None:
        int(code)  # a parsing bug: the ValueError's message is the text itself

    officer = bot.chat(team.officer)
    with every_log_record_at_debug() as captured:
        monkeypatch.setattr(bot.services.portfolio, "client_card", parse_bug)
        await officer.send(f"/client {PERSON}{PHONE}")
    assert "抱歉" in officer.last_text
    assert any(r.logger == "handlers.errors" for r in captured.records)
    assert leaks([r for r in captured.records if ours(r)]) == []

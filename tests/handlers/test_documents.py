"""Documents that check themselves: photographed during the visit, read offline, confirmed by the
officer one tap per field, and turned into findings in the report; and voice answers.

The photos come from the repo's generator (samples/make_documents.py): rendered with a CJK font,
tilted, blurred and compressed like phone photos, with known values.
"""

import importlib.util
import io
import random
import sys
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from assistant.db.models import Client, EvidenceReading
from assistant.evidence.model import OcrResult
from assistant.evidence.ocr import OcrFailed, RapidOcrEngine
from assistant.services import build_services
from tests.conftest import BotHarness, SpeechServer, Team, submit_visit
from tests.handlers.test_visit import skip_until

GENERATOR = Path(__file__).resolve().parents[2] / "samples" / "make_documents.py"
CLIENT_CODE = "92330106MA2CH0FQ3U"  # a valid code: the check character is right


def load_generator():
    spec = importlib.util.spec_from_file_location("make_documents", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_documents"] = module
    spec.loader.exec_module(module)
    return module


documents = load_generator()


@pytest.fixture(scope="session")
def ocr_engine() -> RapidOcrEngine:
    return RapidOcrEngine(threads=1)


@pytest.fixture
def settings(settings, stt_server: SpeechServer):
    return settings.model_copy(
        update={"ocr_engine": "rapidocr", "stt_base_url": stt_server.base_url}
    )


@pytest.fixture
async def services(settings, sqlite_db, knowledge, ocr_engine):
    return build_services(settings, database=sqlite_db, knowledge=knowledge, ocr_engine=ocr_engine)


async def on_file(bot: BotHarness, **fields) -> None:
    async with bot.services.database.session() as session:
        client = (await session.scalars(select(Client).where(Client.code == "C001"))).one()
        for name, value in fields.items():
            setattr(client, name, value)


async def at_documents(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "请收集以下资料")
    return officer


def blank_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (246, 246, 240)).save(buffer, "JPEG")
    return buffer.getvalue()


async def test_a_licence_and_a_statement_become_findings_and_a_voice_answer_is_confirmed(
    bot: BotHarness, team: Team, stt_server: SpeechServer
):
    await on_file(
        bot,
        credit_code=CLIENT_CODE,
        legal_representative="张建国",
        registered_address="城东建材市场 A12 号",
    )
    rng = random.Random(11)
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    await at_documents(bot, team)

    # The licence: same business, but another legal representative.
    licence = documents.make_licence(
        rng,
        variant=0,
        name="张记五金店",
        credit_code=CLIENT_CODE,
        legal_representative="李四",
        address="城东建材市场A12号",
    )
    await officer.send_photo(licence.image)
    assert "这是哪一项？" in officer.last_text
    await officer.press("营业执照")
    # Acknowledged at once; the reading follows.
    assert "已归类为「营业执照」" in officer.text
    assert "正在识别「营业执照」" in officer.last_text
    result = (await officer.follow_ups(bot.application))[-1]
    assert "营业执照 识别结果" in result.text
    assert "法定代表人：李四" in result.text or "经营者：李四" in result.text
    assert "⚠ 法定代表人与档案不符" in result.text
    assert "李四" in result.text and "张建国" in result.text
    assert "✓ 全部正确" in result.button_labels
    await officer.press("✓ 全部正确")
    assert "全部已确认" in officer.last_text

    # A statement with three months of money in: 30万元, far below what the client will state.
    statement = documents.make_statement(
        rng,
        variant=0,
        account_name="张记五金店",
        period_start="2026-08-01",
        period_end="2026-10-31",
        credits_total=300000.0,
    )
    await officer.send_photo(statement.image)
    await officer.press("个人银行流水")
    assert "正在识别" in officer.last_text
    result = (await officer.follow_ups(bot.application))[-1]
    assert "300,000.00 元" in result.text, result.text
    await officer.press("✓ 全部正确")
    assert "全部已确认" in officer.last_text

    # The turnover question answered by voice: transcribed by the endpoint, confirmed by a tap.
    await officer.press("继续 ▶")
    await skip_until(officer, "去年全年营业额大概多少")
    stt_server.reply = "去年大概五百万"
    await officer.send_voice(b"OggS\x00\x02fake-opus-frames", duration=2)
    assert "听到：「去年大概五百万」" in officer.last_text
    assert "500万元" in officer.last_text
    assert stt_server.received[-1]["file_name"] == "voice.ogg"
    assert stt_server.received[-1]["language"] == "zh"
    await officer.press("✓ 确认")
    # The receivables were skipped, so their share of the turnover, which now follows the
    # turnover it is worked out from, is asked.
    assert "应收款大约相当于一年营业额的几成" in officer.last_text, "moved on to the next question"

    await skip_until(officer, "回访小结")
    await submit_visit(officer)
    await officer.press("📝 生成报告")
    report = officer.text
    assert "法定代表人与档案不符" in report
    assert "流水流入远低于自述营业额" in report
    # The finding points at the photo it came from.
    async with bot.services.database.session() as session:
        readings = (await session.scalars(select(EvidenceReading))).all()
    licence_file = next(r.evidence_file_id for r in readings if r.expected_type == "licence")
    await officer.press("🌐 HTML")
    page = officer.last.document.content.decode("utf-8")
    assert f"第 {licence_file} 号" in page, "the full report names the photo"
    # The licence of another legal representative was a warning: the supervisor hears on submit.
    del supervisor


async def test_a_typed_correction_replaces_the_ocr_value_only_when_the_officer_sends_it(
    bot: BotHarness, team: Team
):
    await on_file(bot, legal_representative="王五")
    officer = await at_documents(bot, team)
    licence = documents.make_licence(
        random.Random(5), variant=1, legal_representative="王伍", degrade=False
    )
    await officer.send_photo(licence.image)
    await officer.press("营业执照")
    result = (await officer.follow_ups(bot.application))[-1]
    assert "⚠ 法定代表人与档案不符" in result.text
    field = next(
        i + 1 for i, line in enumerate(result.text.splitlines()[1:]) if "法定代表人" in line
    )
    await officer.press(f"✏️ {field}")
    assert "请输入「法定代表人」的正确内容" in officer.last_text
    await officer.send("王五")
    assert "王五 ✅（您输入的）" in officer.last_text
    assert "⚠ 法定代表人与档案不符" not in officer.last_text
    async with bot.services.database.session() as session:
        reading = (await session.scalars(select(EvidenceReading))).one()
    assert reading.fields["legal_representative"]["value"] == "王伍", "the OCR reading is kept"
    assert reading.confirmed["legal_representative"] == {"value": "王五", "by": "officer"}
    assert set(reading.confirmed) == {"legal_representative"}, "nothing else taken unasked"


async def test_a_blank_photo_a_wrong_category_and_a_bad_correction_keep_the_visit_going(
    bot: BotHarness, team: Team
):
    officer = await at_documents(bot, team)
    await officer.send_photo(blank_photo())
    await officer.press("营业执照")
    reply = (await officer.follow_ups(bot.application))[-1]
    assert "照片上没有读到文字" in reply.text
    assert "照片已保存" in reply.text

    # An invoice filed as the licence: said so, with a button to move it.
    invoice = documents.make_invoice(random.Random(2), degrade=False)
    await officer.send_photo(invoice.image)
    await officer.press("营业执照")
    reply = (await officer.follow_ups(bot.application))[-1]
    assert "看起来是「发票」" in reply.text
    await officer.press("改归为")
    assert "已改归为「进项、销项发票」" in officer.text
    moved = (await officer.follow_ups(bot.application))[-1]
    assert "进项、销项发票 识别结果" in moved.text
    assert "销售方" in moved.text

    # A wrong typed amount is refused and asked again; /cancel leaves the reading as it was.
    amount = next(
        i + 1 for i, line in enumerate(moved.text.splitlines()[1:]) if line[3:].startswith("金额")
    )
    await officer.press(f"✏️ {amount}")
    await officer.send("挺多的")
    assert "没能识别金额" in officer.last_text
    await officer.send("/cancel")
    async with bot.services.database.session() as session:
        readings = (await session.scalars(select(EvidenceReading))).all()
    assert all(not r.confirmed for r in readings)
    # The visit goes on where it was.
    await officer.send("/visit C001")
    assert "收集资料" in officer.text


class Stalling:
    """An OCR engine that never finishes in time, or fails outright."""

    name = "stalling"

    def __init__(self, error: bool) -> None:
        self.error = error

    def read(self, content: bytes) -> OcrResult:
        if self.error:
            raise OcrFailed()
        import time

        time.sleep(1.0)
        return OcrResult((), 0, 0, 1.0)


@pytest.mark.parametrize(("error", "said"), [(True, "没能识别"), (False, "识别超时")])
async def test_an_ocr_failure_or_timeout_is_explained_and_the_photo_kept(
    settings, sqlite_db, knowledge, error: bool, said: str
):
    from bot import build_application
    from botapi.chat import Chat, polling, settle_in_process
    from botapi.console import standin_builder
    from botapi.standin import FakeBotApi, FakeUser
    from tests.conftest import seed_team

    services = build_services(
        settings.model_copy(update={"ocr_timeout": 0.2}),
        database=sqlite_db,
        knowledge=knowledge,
        ocr_engine=Stalling(error),
    )
    team = await seed_team(services)
    api = FakeBotApi()
    application = build_application(settings, standin_builder(api), services=services)
    async with polling(application):
        officer = Chat(api, FakeUser(team.officer, "测试"), settle_in_process(api, application))
        await officer.send("/visit C001")
        await skip_until(officer, "请收集以下资料")
        await officer.send_photo(blank_photo())
        await officer.press("营业执照")
        reply = (await officer.follow_ups(application))[-1]
        assert said in reply.text
        assert "照片已保存" in reply.text
        await officer.press("继续 ▶")
        assert "现场问询" in officer.text, "the visit goes on"
    counts = await services.evidence.counts(1)
    assert counts.get("doc.business_licence") == 1

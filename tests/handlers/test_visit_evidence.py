"""Photos and documents during a visit: stored content-addressed, filed under the right item,
albums answered once, reused photos flagged, hostile files refused."""

import asyncio
import io
import struct
import zlib

from PIL import Image

from tests.conftest import BotHarness, Team
from tests.handlers.test_visit import skip_until


def jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def png_bomb() -> bytes:
    """A PNG whose header claims 20000 × 20000 pixels: tiny on disk, 400 megapixels decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


async def at_step(bot: BotHarness, team: Team, text: str):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, text)
    return officer


async def test_a_document_is_filed_under_the_document_it_is(bot: BotHarness, team: Team):
    officer = await at_step(bot, team, "请收集以下资料")
    await officer.send_document(b"%PDF-1.4 statement", "流水.pdf", "application/pdf")
    assert "已保存文件" in officer.last_text
    assert "这是哪一项？" in officer.last_text
    label = officer.last.button_labels[0]
    await officer.press(1)
    assert f"已归类为「{label}」" in officer.last_text
    stored = list((bot.services.settings.data_dir / "evidence").rglob("*"))
    assert any(p.is_file() and len(p.name) == 64 for p in stored), "content-addressed file"


async def test_a_reused_photo_is_flagged(bot: BotHarness, team: Team):
    officer = await at_step(bot, team, "请拍照留存")
    photo = jpeg((200, 30, 30))
    await officer.send_photo(photo)
    assert "已保存照片" in officer.last_text and "⚠" not in officer.last_text
    await officer.send_photo(photo)
    assert "完全相同" in officer.last_text


async def test_an_album_is_answered_once(bot: BotHarness, team: Team):
    officer = await at_step(bot, team, "请拍照留存")
    for shade in (10, 20, 30):
        replies = await officer.send_photo(jpeg((shade, shade, shade)), media_group_id="album-1")
        assert replies == [], "no reply per photo of an album"
    await asyncio.sleep(2.5)
    summary = officer.api.chat_messages(team.officer)[-1]
    assert "一组 3 张照片" in summary.text
    assert summary.button_labels, "the album can be filed in one tap"


async def test_hostile_or_wrong_files_are_refused_and_nothing_is_lost(bot: BotHarness, team: Team):
    officer = await at_step(bot, team, "请拍照留存")
    await officer.send_photo(b"this is not an image")
    assert "不是一张能打开的图片" in officer.last_text
    await officer.send_document(png_bomb(), "big.png", "image/png")
    assert "尺寸异常巨大" in officer.last_text
    await officer.send_document(b"MZ\x90\x00", "tool.exe", "application/octet-stream")
    assert "不支持这种文件" in officer.last_text
    await officer.send_document(b"", "empty.pdf", "application/pdf")
    assert "空文件" in officer.last_text
    await officer.press("继续 ▶")
    assert "第" in officer.last_text, "the visit goes on"


async def filed_as(bot: BotHarness) -> str | None:
    """The category of the newest file handed in."""
    from sqlalchemy import select

    from assistant.db.models import EvidenceFile

    async with bot.services.database.session() as session:
        newest = await session.scalar(select(EvidenceFile).order_by(EvidenceFile.id.desc()))
    assert newest is not None
    return newest.category


async def test_a_caption_that_names_the_category_files_the_photo(bot: BotHarness, team: Team):
    officer = await at_step(bot, team, "请拍照留存")
    await officer.send_photo(jpeg((90, 90, 90)), caption="门头")
    assert officer.last_text.startswith("✓ 已归入：门头、招牌和门牌号\n已保存照片")
    assert "这是哪一项" not in officer.last_text
    assert officer.last.button_labels == ["继续 ▶"], "nothing to ask, only the way on"
    assert await filed_as(bot) == "photo.signboard"

    await officer.send_photo(jpeg((91, 91, 91)), caption="仓库里的货，拍了两排货架")
    assert "✓ 已归入：库存和仓库" in officer.last_text
    assert await filed_as(bot) == "photo.inventory"


async def test_a_document_captioned_with_its_name_is_filed_and_read(bot: BotHarness, team: Team):
    officer = await at_step(bot, team, "请收集以下资料")
    await officer.send_photo(jpeg((80, 80, 80)), caption="营业执照")
    assert "✓ 已归入：营业执照" in officer.text
    assert await filed_as(bot) == "doc.business_licence"


async def test_an_unclear_or_ambiguous_caption_asks_as_before(bot: BotHarness, team: Team):
    officer = await at_step(bot, team, "请收集以下资料")
    await officer.send_photo(jpeg((70, 70, 70)), caption="单据")  # 水电燃气费单据 or 电话费单据?
    assert "这是哪一项？" in officer.last_text and "已归入" not in officer.last_text
    assert await filed_as(bot) is None
    await officer.send_photo(jpeg((71, 71, 71)), caption="今天下午拍的")
    assert "这是哪一项？" in officer.last_text
    assert await filed_as(bot) is None


async def test_captions_in_english(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer, language_code="en")
    await officer.send("/visit C001")
    await skip_until(officer, "Collect these documents", moves=("⏭ Skip", "Continue ▶"))
    await officer.send_photo(jpeg((60, 60, 60)), caption="bills")  # utility or phone?
    assert "Which item is it?" in officer.last_text
    await officer.send_photo(jpeg((61, 61, 61)), caption="business licence")
    assert "✓ Filed under: Business licence" in officer.text
    await officer.press("Continue ▶")
    await skip_until(officer, "Take these photos", moves=("⏭ Skip", "Continue ▶"))
    await officer.send_photo(jpeg((62, 62, 62)), caption="Signboard")
    assert officer.last_text.startswith("✓ Filed under: Signboard and number\nPhoto saved")
    assert await filed_as(bot) == "photo.signboard"


async def test_after_photos_the_way_on_is_on_the_newest_message(bot: BotHarness, team: Team):
    officer = await at_step(bot, team, "请拍照留存")
    step = officer.last
    for shade in (30, 40, 50):
        await officer.send_photo(jpeg((shade, 0, 0)))
        assert officer.last.button_labels[-1] == "继续 ▶", "under every photo's question"
    await officer.press(2)  # the third photo: 办公环境和在岗员工
    assert "已归类为「办公环境和在岗员工」" in officer.last_text
    assert officer.last.button_labels == ["继续 ▶"], "under the newest message"
    newest = officer.api.chat_messages(team.officer)[-1]
    assert officer.message_with_buttons().message_id == newest.message_id != step.message_id
    await officer.press("继续 ▶")
    assert "请拍照留存" not in officer.last_text and "第" in officer.last_text, (
        "on to the next step"
    )


async def test_an_album_is_answered_with_the_way_on_under_it(bot: BotHarness, team: Team):
    officer = await at_step(bot, team, "请拍照留存")
    for shade in (10, 20):
        await officer.send_photo(jpeg((0, shade, 0)), media_group_id="album-2")
    await asyncio.sleep(2.5)
    summary = officer.api.chat_messages(team.officer)[-1]
    assert summary.button_labels[-1] == "继续 ▶"

"""The Mini App's pages in a real browser (Debian's headless Chromium, driven by Selenium), at a
phone's width, in Telegram's light and dark themes: the officer edits and submits, the supervisor
returns and then approves, the team page charts the month, and the chat hears of each step.

Screenshots go to the test's own directory, or to ``MINIAPP_SCREENSHOTS`` when set (that is how
the ones in ``docs/`` were made).
"""

import asyncio
import base64
import os
from pathlib import Path

import pytest

from assistant.miniapp.initdata import sign
from benchmarks.miniapp import CHROMIUM, DRIVER, THEMES, browser, page_url
from handlers.webapp import PageServer
from tests.conftest import BotHarness, Team
from tests.handlers.test_report import finish_visit_with_diversion

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)
LIGHT, DARK = THEMES["light"], THEMES["dark"]


class Phone:
    """One Chromium at phone size. Selenium blocks, and the bot and the pages' server run on
    this test's event loop, so every browser call goes to a thread."""

    def __init__(self, base: str, token: str, clock, shots: Path) -> None:
        self.driver = browser()
        self.base, self.token, self.clock, self.shots = base, token, clock, shots

    async def run(self, work, *args):
        return await asyncio.to_thread(work, *args)

    async def open(self, telegram_id: int, query: str, theme=LIGHT, init_data: str | None = None):
        init_data = init_data or sign(telegram_id, self.token, now=self.clock.now())
        # Each opening is a fresh page, as Telegram's is (a new fragment alone would not reload).
        await self.run(self.driver.get, "about:blank")
        await self.run(self.driver.get, page_url(self.base, init_data, query, theme))

    async def wait(self, css: str, text: str | None = None, timeout: float = 15):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as seen
        from selenium.webdriver.support.ui import WebDriverWait

        waiting = WebDriverWait(self.driver, timeout)
        if text is None:
            return await self.run(
                waiting.until, seen.presence_of_element_located((By.CSS_SELECTOR, css))
            )
        await self.run(
            waiting.until, seen.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
        )
        return self.driver.find_element(By.CSS_SELECTOR, css)

    async def type(self, css: str, text: str) -> None:
        element = await self.wait(css)
        await self.run(element.clear)
        await self.run(element.send_keys, text)

    async def click(self, css: str) -> None:
        element = await self.wait(css)
        await self.run(self.driver.execute_script, "arguments[0].scrollIntoView()", element)
        await self.run(element.click)

    async def shot(self, name: str) -> Path:
        await self.run(self.driver.execute_script, "window.scrollTo(0, 0)")
        path = self.shots / f"{name}.png"
        await self.run(self.driver.save_screenshot, str(path))
        return path

    async def whole(self, name: str) -> Path:
        """The whole page, top to bottom, at the phone's width: for reading it as a whole."""
        height = await self.script("return document.documentElement.scrollHeight")
        shot = await self.run(
            self.driver.execute_cdp_cmd,
            "Page.captureScreenshot",
            {
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 390, "height": height, "scale": 1},
            },
        )
        path = self.shots / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def script(self, code: str, *args):
        return self.run(self.driver.execute_script, code, *args)


@pytest.fixture
async def phone(bot: BotHarness, tmp_path: Path):
    server = PageServer(bot.application, listen="127.0.0.1", port=0)
    port = server.start()
    shots = Path(os.environ.get("MINIAPP_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    browser = await asyncio.to_thread(
        Phone, f"http://127.0.0.1:{port}", bot.application.bot.token, bot.services.clock, shots
    )
    try:
        yield browser
    finally:
        await asyncio.to_thread(browser.driver.quit)
        await server.stop()


async def test_edit_submit_return_approve_in_the_browser(bot: BotHarness, team: Team, phone: Phone):
    bot.services.webapp_url = "https://bank.example/app/"
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    await supervisor.send("/help")
    await finish_visit_with_diversion(bot, officer)
    await officer.press("📝 生成报告")
    # The chat offers the page beside its own buttons.
    opener = next(b for row in officer.last.buttons for b in row if "web_app" in b)
    query = opener["web_app"]["url"].split("?", 1)[1]
    assert query.startswith("report=")

    # The officer reads the whole report on the phone: findings, suggestion, photos.
    await phone.open(team.officer, query)
    await phone.wait("h1", "贷后检查报告")
    await phone.wait("#suggestion", "建议分类")
    # Thumbnails load as they scroll into view, the full photo on tap.
    assert not await phone.script("return document.querySelectorAll('img[data-loaded]').length")
    await phone.script("document.querySelector('.photos').scrollIntoView()")
    await phone.wait(".photos img[data-loaded]")
    assert len(await phone.script("return document.querySelectorAll('.photos img')")) == 2
    await phone.click(".photos img")
    await phone.wait("#viewer:not([hidden]) img[src^=blob]")
    await phone.click("#viewer")
    shot = await phone.shot("report-light")
    await phone.whole("report-whole")
    assert shot.stat().st_size > 10_000
    # Nothing wider than the phone: no sideways scrolling of the page itself.
    assert await phone.script("return document.documentElement.scrollWidth") <= 390

    # A section is edited in place and saved as a draft while typing.
    first = "textarea[data-field=section]"
    await phone.type(first, "客户承认将五万元借给亲戚交购房首付，已要求三日内归还。")
    await phone.wait(".status-line", "已保存")

    # Submitting asks for the overall assessment first, as the chat does.
    await phone.click("#submit")
    await phone.wait("#submit-status", "综合评价")
    mark = len(bot.api.events)
    await phone.type(
        "textarea[data-field=assessment]", "挪用五万元，经营本身正常，已要求归还，下次重点核实。"
    )
    await phone.click("#submit")
    await phone.wait("#toast", "已提交主管审批")
    to_supervisor = bot.api.events_since(mark, team.supervisor)
    assert any(m.document and m.document.file_name.endswith(".docx") for m in to_supervisor)
    assert "✅ 批准" in to_supervisor[-1].button_labels
    assert any("已提交主管审批" in m.text for m in bot.api.events_since(mark, team.officer))

    # The supervisor opens it in the dark theme and returns it with a comment on a section.
    await phone.open(team.supervisor, query, theme=DARK)
    await phone.wait("#changes", "第一版")
    await phone.shot("review-dark")
    await phone.open(team.supervisor, query)
    await phone.wait("#review")
    await phone.shot("review-light")
    section_id = await phone.script(
        "return document.querySelector('#comment-section option:nth-child(2)').value"
    )
    await phone.script(
        "const s = document.querySelector('#comment-section'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('change'))",
        section_id,
    )
    await phone.type("#comment", "请补充归还凭证。")
    mark = len(bot.api.events)
    await phone.click("#return")
    await phone.wait("#toast", "已退回")
    told = [m for m in bot.api.events_since(mark, team.officer) if "退回" in m.text]
    assert told and "请补充归还凭证" in told[0].text

    # The officer revises that section and submits again from the page.
    await phone.open(team.officer, query)
    await phone.wait("#review-comment", "请补充归还凭证")
    # ... and beside the section it is about.
    await phone.wait(f"#section-{section_id} [data-comment]", "请补充归还凭证")
    await phone.type(f"#section-{section_id} textarea", "客户已于次日归还五万元，凭证已收并拍照。")
    await phone.wait(f"#section-{section_id} .status-line", "已保存")
    await phone.click("#submit")
    await phone.wait("#toast", "已提交主管审批")

    # The supervisor sees what changed since the returned version, and approves.
    await phone.open(team.supervisor, query)
    await phone.wait("#changes", "与第 1 版相比")
    changed = await phone.script(
        "return [...document.querySelectorAll('[data-changed]')].map(e => e.id)"
    )
    assert changed == [f"section-{section_id}"]
    mark = len(bot.api.events)
    await phone.click("#approve")
    await phone.wait("#toast", "已批准")
    assert any("已获批准" in m.text for m in bot.api.events_since(mark, team.officer))


async def test_the_team_page_charts_the_month(bot: BotHarness, team: Team, phone: Phone):
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    await supervisor.send("/help")
    await finish_visit_with_diversion(bot, officer)  # the diversion alerts the supervisor
    await phone.open(team.supervisor, "team=1")
    await phone.wait("h1", "团队本月进度")
    await phone.wait("[data-alert]")
    drawn = await phone.script(
        "return [...document.querySelectorAll('canvas')].map(c => !!Chart.getChart(c))"
    )
    assert drawn == [True, True]
    await phone.shot("team-light")
    await phone.open(team.supervisor, "team=1", theme=DARK)
    await phone.wait("[data-alert]")
    await phone.shot("team-dark")
    await phone.click("[data-alert]")
    await phone.wait("[data-alert]", "已知悉")
    assert not await bot.services.alerts.open_alerts(
        await bot.services.access.viewer(team.supervisor)
    )


async def test_forged_launch_data_and_another_teams_report(
    bot: BotHarness, team: Team, phone: Phone
):
    officer = bot.chat(team.officer)
    await finish_visit_with_diversion(bot, officer)
    await officer.press("📝 生成报告")
    viewer = await bot.services.access.viewer(team.officer)
    pending = await bot.services.reports.pending(viewer)
    query = f"report={pending[0].report_id}"

    forged = sign(team.officer, "123:NOT-THE-BOTS-TOKEN", now=bot.services.clock.now())
    await phone.open(team.officer, query, init_data=forged)
    await phone.wait("#error", "无法确认您的身份")
    status = await phone.script(
        "return fetch('/app/api/home', {headers: {'X-Telegram-Init-Data': arguments[0]}})"
        ".then(r => r.status)",
        forged,
    )
    assert status == 401

    await phone.open(team.other_supervisor, query)
    await phone.wait("#error", "没有找到")
    assert "张记五金店" not in await phone.script("return document.body.innerText")

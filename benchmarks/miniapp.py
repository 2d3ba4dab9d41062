"""Mini App benchmark: the report page of a visit with 20 photos, opened in headless Chromium on
loopback at a phone's size, on the demo bank.

    .venv/bin/python benchmarks/miniapp.py [--photos 20] [--runs 5] [--screenshots docs/miniapp]

The demo officer makes a visit to C1001 in the chat (the console's own commands) and sends
``--photos`` photos of 3000×2000 pixels, drafts and submits the report; the demo supervisor
reviews it. It prints the median time from navigation to the first screen drawn (target
≤ 1 s), how many photos that first screen fetched (thumbnails are lazy) and the bytes it
loaded. ``--screenshots`` saves the three pages at 390×844, light and dark.
Needs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PIL import Image

from assistant.config import Settings
from assistant.demo import seed_demo
from assistant.miniapp.initdata import sign
from assistant.services import build_services
from botapi.chat import polling
from botapi.console import Console, demo_settings, standin_builder
from botapi.standin import FakeBotApi

# Debian's packages (.ci/run installs them); the tests skip where they are missing.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# An ordinary phone: 390×844 CSS pixels at twice the density.
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
# Telegram's own light and dark themes, as its clients pass them (themeParams).
THEMES = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#707579",
        "link_color": "#3390ec",
        "button_color": "#3390ec",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#f4f4f5",
    },
    "dark": {
        "bg_color": "#17212b",
        "text_color": "#f5f5f5",
        "hint_color": "#708499",
        "link_color": "#6ab3f3",
        "button_color": "#5288c1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#232e3c",
    },
}


def photo(seed: int) -> bytes:
    """A phone-sized JPEG: a smooth gradient, about what a camera sends."""
    image = Image.linear_gradient("L").resize((3000, 2000)).convert("RGB")
    image = Image.merge(
        "RGB",
        [
            c.point(lambda v, k=k: (v + seed * 37 * (k + 1)) % 256)
            for k, c in enumerate(image.split())
        ],
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def shoot(driver, path: Path) -> None:
    """A screenshot in 256 colours: a third of the bytes, the same to the eye."""
    driver.save_screenshot(str(path))
    image = Image.open(path).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)


def browser():
    """Headless Chromium at a phone's size, driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--lang=zh-CN")
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    return driver


def page_url(base: str, init_data: str, query: str, theme: dict[str, str]) -> str:
    """The page as Telegram opens it: the launch data and the theme in the fragment."""
    fragment = (
        f"tgWebAppData={quote(init_data, safe='')}"
        f"&tgWebAppThemeParams={quote(json.dumps(theme), safe='')}"
    )
    return f"{base}/app/?{query}#{fragment}"


def open_page(driver, base: str, init_data: str, query: str, theme: str = "light") -> dict:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get(page_url(base, init_data, query, THEMES[theme]))
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.documentElement.dataset.rendered")
    )
    return driver.execute_script("""
        const entries = performance.getEntriesByType('resource');
        return {
          rendered: Number(document.documentElement.dataset.rendered),
          photos: entries.filter(e => e.name.includes('/photo/')).length,
          bytes: entries.reduce((n, e) => n + (e.transferSize || 0), 0)
            + performance.getEntriesByType('navigation')[0].transferSize,
        };""")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", type=Path)
    args = parser.parse_args()
    from bot import build_application
    from handlers.webapp import PageServer

    with tempfile.TemporaryDirectory() as data:
        settings = demo_settings(Settings(_env_file=None, data_dir=Path(data)))
        services = build_services(settings)
        await services.start()
        await seed_demo(services)
        api = FakeBotApi()
        application = build_application(settings, standin_builder(api), services=services)
        console = Console(api, application, io.StringIO(), outbox=Path(data) / "outbox")
        console.outbox.mkdir()
        pictures = []
        for n in range(args.photos):
            path = Path(data) / f"p{n}.jpg"
            path.write_bytes(photo(n))
            pictures.append(path)
        async with polling(application):
            for line in (
                ":as supervisor",
                "/help",
                ":as officer",
                "/visit C1001",
                ":skip-until 请拍照留存",
            ):
                await console.handle(line)
            for path in pictures:
                await console.handle(f":photo {path}")
                last = console.chats["officer"].last
                if last.buttons:
                    await console.handle(":press 1")
            for line in (":skip-until 回访小结", ":press ✅ 确认提交"):
                await console.handle(line)
            if "✅ 仍然提交" in console.chats["officer"].last.button_labels:
                await console.handle(":press ✅ 仍然提交")
            await console.handle(":press 📝 生成报告")
            viewer = await services.access.viewer(console.people["officer"].telegram_id)
            report_id = (await services.reports.pending(viewer))[0].report_id
            view = await services.reports.open(viewer, report_id, "zh")
            print(
                f"report {report_id}: {len(view.data.photos)} photos, "
                f"{len(view.data.findings)} findings"
            )

            server = PageServer(application, listen="127.0.0.1", port=0)
            base = f"http://127.0.0.1:{server.start()}"
            token = application.bot.token
            officer = console.people["officer"].telegram_id
            supervisor = console.people["supervisor"].telegram_id
            driver = await asyncio.to_thread(browser)
            try:

                def signed(who: int) -> str:
                    return sign(who, token, now=services.clock.now())

                runs = [
                    await asyncio.to_thread(
                        open_page, driver, base, signed(officer), f"report={report_id}"
                    )
                    for _ in range(args.runs)
                ]
                times = [r["rendered"] for r in runs]
                print(
                    f"report page, {args.photos} photos: first screen drawn in median "
                    f"{statistics.median(times):.0f} ms (runs: {', '.join(map(str, times))}; "
                    "target ≤ 1000 ms)"
                )
                print(
                    f"  the first screen fetched {runs[0]['photos']} photos; the first "
                    f"opening loaded {runs[0]['bytes'] / 1024:.0f} KiB (later ones "
                    f"{runs[-1]['bytes'] / 1024:.0f} KiB, the page's files cached)"
                )
                if args.screenshots:
                    shots = args.screenshots
                    shots.mkdir(parents=True, exist_ok=True)
                    for theme in THEMES:
                        await asyncio.to_thread(
                            open_page, driver, base, signed(officer), f"report={report_id}", theme
                        )
                        shoot(driver, shots / f"report-{theme}.png")
                    await console.handle(":press 📤 提交审批")
                    await console.handle("经营正常，二十张现场照片齐全，按计划跟进。")
                    for theme in THEMES:
                        await asyncio.to_thread(
                            open_page,
                            driver,
                            base,
                            signed(supervisor),
                            f"report={report_id}",
                            theme,
                        )
                        shoot(driver, shots / f"review-{theme}.png")
                        await asyncio.to_thread(
                            open_page, driver, base, signed(supervisor), "team=1", theme
                        )
                        shoot(driver, shots / f"team-{theme}.png")
                    print(f"screenshots: {shots}")
            finally:
                await asyncio.to_thread(driver.quit)
                await server.stop()


if __name__ == "__main__":
    asyncio.run(main())

"""Console mode: chat with the real bot in a terminal, with no token and no network.

The real Application runs against the in-process Bot API stand-in, on a demo database of its own.
Lines are sent as messages; lines starting with ``:`` are console commands (``:help`` lists them).
Works with piped input for scripted demos, and ends cleanly at end of input.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shlex
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from pydantic import SecretStr
from telegram.ext import Application, ApplicationBuilder

from assistant.config import Settings
from assistant.demo import DEMO_ADMIN_IDS, DEMO_PEOPLE, DemoPerson, seed_demo
from assistant.miniapp.initdata import sign
from assistant.services import Services, build_services
from botapi.chat import BACKGROUND_TASKS, Chat, NoSuchButton, polling, settle_in_process
from botapi.standin import (
    DEFAULT_TOKEN,
    STANDIN_API_URL,
    STANDIN_FILE_URL,
    BotMessage,
    FakeBotApi,
    FakeUser,
    InProcessRequest,
)

DEEP_LINK = re.compile(r"t\.me/\w+\?start=([A-Za-z0-9_-]+)")
ALBUM_WAIT_SECONDS = 2.5
SKIP_LABELS = ("⏭ 跳过", "⏭ Skip", "继续 ▶", "Continue ▶")
BuildApplication = Callable[..., Application[Any, Any, Any, Any, Any, Any]]
# Starts the pages' server for an application: its address, and how to stop it.
ServePages = Callable[
    [Application[Any, Any, Any, Any, Any, Any]], tuple[str, Callable[[], Awaitable[None]]]
]

LOOKUP_PROMPTS = ("请记录查询结果", "Record the result")


def _is_lookup(text: str) -> bool:
    return any(prompt in text for prompt in LOOKUP_PROMPTS)


HELP = """控制台命令 / console commands:
  任意文字 / any text      作为消息发送给机器人 / sent to the bot as a message
  :press N | :press 文字    点击最近一条消息上的按钮 / tap a button by number or label
  :doc PATH [说明]          发送文件 / send a document
  :photo PATH [说明]        发送照片 / send a photo
  :loc 纬度 经度            发送位置 / send a location
  :voice PATH               发送语音 / send a voice note
  :album PATH PATH …        发送一组照片（相册）/ send photos as one album
  :skip-until 文字          连续点「跳过/继续」（访前查询点第一个结果）直到出现该文字 / tap
                            Skip or Continue (a look-up: its first result) until the bot
                            shows the text (for scripted demos)
  :link                     以当前身份打开机器人最近给出的邀请链接 / open the newest invite link
                            the bot showed, as the current user (what tapping it in Telegram does)
  :page [report N | team]   以当前身份打开 Mini App 页面的签名链接（需 --pages）/ a signed link
                            to the Mini App's pages as the current user (needs --pages)
  :as 身份                  切换用户 / switch user ({aliases})
  :who                      列出演示用户 / list the demo users
  :help                     显示本帮助 / this help
  :quit                     退出 / quit (end of input works too)"""


def standin_builder(api: FakeBotApi) -> ApplicationBuilder:
    """An ApplicationBuilder whose requests go to the in-process stand-in."""
    return (
        ApplicationBuilder()
        .token(api.token)
        .base_url(STANDIN_API_URL)
        .base_file_url(STANDIN_FILE_URL)
        .request(InProcessRequest(api))
        .get_updates_request(InProcessRequest(api))
    )


class Console:
    def __init__(
        self,
        api: FakeBotApi,
        application: Application[Any, Any, Any, Any, Any, Any],
        out: TextIO,
        outbox: Path,
    ) -> None:
        self.api = api
        self.out = out
        self.outbox = outbox
        self.application = application
        settle = settle_in_process(api, application)
        self.people = {p.alias: p for p in DEMO_PEOPLE}
        self.chats = {
            p.alias: Chat(
                api, FakeUser(p.telegram_id, p.first_name, language_code="zh-hans"), settle
            )
            for p in DEMO_PEOPLE
        }
        self.current = "officer"
        self.last_start_payload: str | None = None
        # Where console mode serves the Mini App's pages (--pages), if it does.
        self.pages_url: str | None = None

    def write(self, line: str = "") -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def show(self, messages: list[BotMessage]) -> None:
        if not messages:
            answer = self.chats[self.current].callback_answer()
            if answer is not None and answer.get("text"):
                self.write(f"🤖 [{answer['text']}]")
            else:
                self.write("🤖 (没有回复 / no reply)")
            return
        for message in messages:
            self.write(f"🤖 {message.text}" if message.text else "🤖")
            links = DEEP_LINK.findall(message.text)
            if links:
                self.last_start_payload = links[-1]
            self.attachments(message)

    async def album(self, chat: Chat, paths: list[Path]) -> None:
        missing = [p for p in paths if not p.is_file()]
        if missing:
            self.write(f"⚠ 找不到文件 / no such file: {missing[0]}")
            return
        group = f"console-album-{len(self.api.events)}"
        mark = len(self.api.events)
        for path in paths:
            await chat.send_photo(path.read_bytes(), media_group_id=group)
        # Telegram sends no end-of-album marker; the bot answers once the album has gone quiet.
        await asyncio.sleep(ALBUM_WAIT_SECONDS)
        self.show(self.api.events_since(mark, chat.user.id))

    async def skip_until(self, chat: Chat, text: str, limit: int = 300) -> None:
        for _ in range(limit):
            last = chat.message_with_buttons()
            if text in last.text:
                self.show([last])
                return
            labels = last.button_labels
            label = next((b for b in SKIP_LABELS if b in labels), None)
            if label is None and _is_lookup(last.text) and labels:
                label = labels[0]
            if label is None:
                self.write(f"⚠ 没有可跳过的按钮 / nothing to skip: {last.text.splitlines()[0]}")
                return
            await chat.press(label)
            # The step's header, not the "✓ 已记录" line above it.
            lines = [line for line in last.text.splitlines() if not line.startswith("✓")]
            self.write(f"   ⏭ {(lines or [''])[0]}")
        self.write(f"⚠ 未出现 / never shown: {text}")

    def who(self) -> None:
        for p in self.people.values():
            mark = "→" if p.alias == self.current else " "
            self.write(f" {mark} {p.alias:<12} {p.first_name}  {p.note_zh} / {p.note_en}")

    @property
    def prompt(self) -> str:
        person: DemoPerson = self.people[self.current]
        return f"{person.first_name}({person.alias})> "

    async def handle(self, line: str) -> bool:
        """Run one input line; ``False`` means quit."""
        mark = len(self.api.events)
        keep_going = await self._handle(line)
        await self.show_follow_ups()
        self.show_others(mark)
        return keep_going

    async def show_follow_ups(self) -> None:
        """Results that follow an acknowledgement (a document being read): in Telegram they
        pop up on their own; here the prompt waits for them."""
        if not self.application.bot_data.get(BACKGROUND_TASKS):
            return
        self.show(await self.chats[self.current].follow_ups(self.application))

    def show_others(self, mark: int) -> None:
        """What the bot sent other people meanwhile (a supervisor's alert, an officer's
        decision): in Telegram they would see it on their own phones; `:as` switches to them."""
        current = self.people[self.current].telegram_id
        by_id = {p.telegram_id: p for p in self.people.values()}
        for kind, message in self.api.events[mark:]:
            person = by_id.get(message.chat_id)
            if kind != "send" or person is None or person.telegram_id == current:
                continue
            self.write(f"📨 → {person.first_name}({person.alias}): {message.text}")
            self.attachments(message)

    def attachments(self, message: BotMessage) -> None:
        """A sent file is saved to the outbox; buttons are listed by number for `:press`."""
        if message.document is not None:
            target = self.outbox / (message.document.file_name or message.document.file_id)
            target.write_bytes(message.document.content)
            self.write(f"   📎 {target}")
        if message.buttons:
            labels = message.button_labels
            self.write("   " + "  ".join(f"[{i}] {label}" for i, label in enumerate(labels, 1)))

    async def _handle(self, line: str) -> bool:
        chat = self.chats[self.current]
        if not line.startswith(":"):
            self.show(await chat.send(line))
            return True
        try:
            words = shlex.split(line[1:])
        except ValueError:
            words = line[1:].split()
        command, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if command in ("quit", "exit", "q"):
            return False
        if command == "help":
            self.write(HELP.format(aliases=", ".join(self.people)))
        elif command == "who":
            self.who()
        elif command == "as" and args and args[0] in self.chats:
            self.current = args[0]
            self.write(
                f"— 现在的身份 / now chatting as: {self.people[args[0]].first_name} ({args[0]})"
            )
        elif command == "press" and args:
            try:
                self.show(await chat.press(" ".join(args)))
            except NoSuchButton as exc:
                self.write(f"⚠ {exc}")
        elif command in ("doc", "photo") and args:
            path = Path(args[0]).expanduser()
            if not path.is_file():
                self.write(f"⚠ 找不到文件 / no such file: {path}")
                return True
            caption = " ".join(args[1:]) or None
            if command == "doc":
                self.show(await chat.send_document(path, caption=caption))
            else:
                self.show(await chat.send_photo(path.read_bytes(), caption=caption))
        elif command == "page":
            self.page_link(args)
        elif command == "link":
            if self.last_start_payload is None:
                self.write("⚠ 还没有邀请链接 / no invite link has been shown yet")
            else:
                self.write(f"— 打开链接 / opening t.me/…?start={self.last_start_payload}")
                self.show(await chat.send(f"/start {self.last_start_payload}"))
        elif command == "voice" and args:
            path = Path(args[0]).expanduser()
            if not path.is_file():
                self.write(f"⚠ 找不到文件 / no such file: {path}")
                return True
            self.show(await chat.send_voice(path.read_bytes()))
        elif command == "album" and args:
            await self.album(chat, [Path(a).expanduser() for a in args])
        elif command == "skip-until" and args:
            await self.skip_until(chat, " ".join(args))
        elif command == "loc" and len(args) == 2:
            try:
                lat, lon = float(args[0]), float(args[1])
            except ValueError:
                self.write("⚠ 用法 / usage: :loc 31.23 121.47")
                return True
            self.show(await chat.send_location(lat, lon))
        else:
            self.write(
                f"⚠ 无法识别的控制台命令 / unknown console command: {line}\n"
                + HELP.format(aliases=", ".join(self.people))
            )
        return True

    def page_link(self, args: list[str]) -> None:
        """A link that opens the pages in a desktop browser as the current user, signed as
        Telegram signs a Mini App's launch (valid for WEBAPP_MAX_AGE_S)."""
        if self.pages_url is None:
            self.write("⚠ 页面未开启：用 python bot.py console --pages 启动 / start with --pages")
            return
        query = ""
        if args[:1] == ["team"]:
            query = "?team=1"
        elif args[:1] == ["report"] and len(args) > 1 and args[1].isdigit():
            query = f"?report={args[1]}"
        person = self.people[self.current]
        signed = sign(person.telegram_id, self.api.token, now=self.clock())
        self.write(f"🔗 {self.pages_url}{query}#tgWebAppData={quote(signed, safe='')}")

    def clock(self) -> datetime:
        return self.application.bot_data["services"].clock.now()


def demo_settings(settings: Settings) -> Settings:
    """The same configuration on the demo database (the knowledge index is shared)."""
    demo_dir = settings.data_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(
        update={
            "database_url": SecretStr(f"sqlite+aiosqlite:///{demo_dir / 'demo.db'}"),
            "admin_ids": settings.admin_ids | DEMO_ADMIN_IDS,
            "bot_token": None,
        }
    )


@contextlib.asynccontextmanager
async def _pages(
    application: Application[Any, Any, Any, Any, Any, Any], serve_pages: ServePages | None
) -> AsyncIterator[str | None]:
    if serve_pages is None:
        yield None
        return
    url, stop = serve_pages(application)
    try:
        yield url
    finally:
        await stop()


async def _read_line(stream: TextIO) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, stream.readline)


async def _building_index(services: Services, wait: float = 1.0) -> int | None:
    """About how long the knowledge base still needs, if the start is building its index.

    Reading the files and the stored vectors takes a moment before it is known whether anything
    must be embedded; a load that finishes within ``wait`` seconds is not announced at all.
    """
    deadline = asyncio.get_running_loop().time() + wait
    while services.knowledge.loading and asyncio.get_running_loop().time() < deadline:
        if services.knowledge.building is not None:
            return services.knowledge.seconds_left()
        await asyncio.sleep(0.05)
    return services.knowledge.seconds_left() if services.knowledge.building else None


async def run_console(
    settings: Settings,
    *,
    fresh: bool,
    start_as: str,
    build_application: BuildApplication,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    serve_pages: ServePages | None = None,
) -> int:
    """Chat with the bot on the demo portfolio until ``:quit`` or end of input.

    With ``serve_pages`` (``--pages``), the Mini App's pages are served on loopback as well, and
    ``:page`` prints a signed link to open them in a desktop browser.
    """
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    settings_for_demo = demo_settings(settings)
    demo_dir = settings.data_dir / "demo"
    database_file = demo_dir / "demo.db"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database_file}{suffix}").unlink(missing_ok=True)
    # Console output is the conversation; library chatter would bury it.
    logging.getLogger().setLevel(logging.WARNING)
    services = build_services(settings_for_demo, knowledge_in_background=True)
    await services.start()
    seconds = await _building_index(services)
    if seconds is not None:
        out.write(
            f"正在建立知识库索引，约需 {seconds} 秒；其他功能现在就能用。/ building the knowledge "
            f"index, about {seconds} s; everything else works now.\n"
        )
        out.flush()
    seeded = await seed_demo(services)
    api = FakeBotApi(token=DEFAULT_TOKEN)
    application = build_application(settings_for_demo, standin_builder(api), services=services)
    console = Console(api, application, out, outbox=demo_dir / "outbox")
    console.outbox.mkdir(exist_ok=True)
    if start_as in console.chats:
        console.current = start_as
    interactive = stdin.isatty()
    if not interactive:
        # A script's questions get answers, not "still preparing", whatever the machine's pace.
        await services.knowledge_loaded()
    async with polling(application), _pages(application, serve_pages) as pages_url:
        console.pages_url = pages_url
        console.write("贷后回访助手 · 控制台模式 — 演示数据 DEMO DATA (fictional)")
        if pages_url is not None:
            console.write(
                f"Mini App 页面 / pages: {pages_url} — 输入 :page 得到签名链接 / :page prints a "
                "signed link"
            )
        console.write(f"数据库 / database: {database_file}" + ("（新建 / new）" if seeded else ""))
        console.write(
            "输入 :help 查看控制台命令，:who 查看演示用户。Type :help for console commands."
        )
        console.who()
        try:
            while True:
                if interactive:
                    out.write(console.prompt)
                    out.flush()
                line = await _read_line(stdin)
                if not line:
                    break
                line = line.rstrip("\n").strip()
                if not line:
                    continue
                if not interactive:
                    console.write(console.prompt + line)
                if not await console.handle(line):
                    break
        finally:
            console.write("再见 / bye")
    return 0

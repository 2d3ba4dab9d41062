"""Visit length: how many inputs a whole visit takes, every question answered.

    python benchmarks/visit_length.py

Drives the demo clients C1001 (a shop with one loan) and C1002 (a trading company with a new loan
and an older one) through the real Application, the way an officer answers a visit where all is
in order: the look-ups recorded (one tap when nothing was found), the location shared, documents
continued past, a figure typed, yes/no and choices tapped (the answer that needs no follow-up: the
normal path), a sentence for a text question, one photo filed, and the submit. Every message and
every tap the officer sends is an input, the opening /visit included, and so are the two taps
(📑, then ⇄) that switch a visit from the depth it starts at. Each client is visited at both
depths. It ends with the line

    visit length: C1001 short N full N; C1002 short N full N

``--trace`` prints the first lines of every step on the way.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


from assistant.config import Settings
from assistant.data.checklist import AnswerType, Item, load_checklist
from assistant.db.database import Database
from assistant.demo import DEMO_PEOPLE, seed_demo
from assistant.services import build_knowledge, build_services
from benchmarks.visits import NAVIGATION, SPOKEN, photo, submit
from bot import build_application
from botapi.chat import Chat, polling, settle_in_process
from botapi.console import standin_builder
from botapi.standin import FakeBotApi, FakeUser

MAX_INPUTS = 400
# The questions by their Chinese prompt, to find the answer that triggers no follow-up.
QUESTIONS: dict[str, Item] = {item.prompt.zh: item for item in load_checklist().all_items()}


def normal_answer(text: str, labels: list[str]) -> str | None:
    """The button of the answer that needs no follow-up, for a yes/no or choice question."""
    item = next((q for prompt, q in QUESTIONS.items() if prompt in text), None)
    if item is None or item.type not in (AnswerType.YES_NO, AnswerType.CHOICE):
        return None
    triggering = {a for f in item.follow_ups for a in f.condition.answers}
    if item.type is AnswerType.YES_NO:
        return "是" if False in triggering else "否"
    return next(o.label.zh for o in item.options if o.id not in triggering)


async def one_input(chat: Chat) -> int:
    """Answer the current step as an officer would; the number of inputs it took."""
    last = chat.message_with_buttons()
    text, labels = last.text, last.button_labels
    if "请记录查询结果" in text:
        await chat.press(1)  # all clear, when more than one look-up is left
        return 1
    if "实时位置" in text:
        await chat.send_location(31.2304, 121.4737)
        return 1
    if "请收集以下资料" in text:
        await chat.press("继续 ▶")
        return 1
    if "请拍照留存" in text:
        await chat.send_photo(photo(chat.user.id))
        await chat.press(1)  # its category
        await chat.press("继续 ▶")
        return 3
    if "回访小结" in text:
        return await submit(chat)
    unit = re.search(r"（单位：(.+?)）", text)
    if unit and unit.group(1) in SPOKEN:
        await chat.send(SPOKEN[unit.group(1)])
    elif answer := normal_answer(text, labels):
        await chat.press(answer)
    elif options := [label for label in labels if label not in NAVIGATION]:
        await chat.press(options[0])
    elif "什么时候" in text or "日期" in text:
        await chat.send("2027-06-30")
    else:
        await chat.send("经营正常，与上次看到的一致")
    return 1


async def visit_length(chat: Chat, client: str, depth: str, trace: bool = False) -> int:
    await chat.send(f"/visit {client}")
    inputs = 1
    switch = "⇄ 改为完整回访" if depth == "full" else "⇄ 改为简版回访"
    await chat.press("📑 跳转")
    if switch in chat.last.button_labels:
        await chat.press(switch)
        inputs += 2
    else:
        # Already at this depth: the look at the sections is not counted, and the visit goes on.
        await chat.send(f"/visit {client}")
    while "回访已完成" not in chat.last_text:
        if inputs > MAX_INPUTS:
            raise RuntimeError(f"{client}: not finished after {MAX_INPUTS} inputs")
        if trace:
            step = chat.message_with_buttons().text.splitlines()
            print(f"{client} {inputs:3d}", " | ".join(line for line in step[:3] if line))
        inputs += await one_input(chat)
    return inputs


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        settings = Settings(
            _env_file=None,
            data_dir=data,
            chroma_path=data / "chroma",
            bot_token=None,
            database_url=None,
            ocr_engine="none",
            # One officer answering as fast as a script can: the flood limit would drop inputs.
            flood_rate=0,
        )
        knowledge = build_knowledge(settings)
        await knowledge.load()
        url = f"sqlite+aiosqlite:///{data / 'demo.db'}"
        seeding = build_services(settings, database=Database(url), knowledge=knowledge)
        await seeding.start()
        await seed_demo(seeding)
        await seeding.database.dispose()
        services = build_services(settings, database=Database(url), knowledge=knowledge)
        officer = next(p for p in DEMO_PEOPLE if p.alias == "officer")
        api = FakeBotApi()
        application = build_application(settings, standin_builder(api), services=services)
        lengths: dict[tuple[str, str], int] = {}
        async with polling(application):
            chat = Chat(
                api,
                FakeUser(officer.telegram_id, officer.first_name),
                settle_in_process(api, application),
            )
            for client in ("C1001", "C1002"):
                for depth in ("short", "full"):
                    trace = "--trace" in sys.argv
                    lengths[client, depth] = await visit_length(chat, client, depth, trace)
    print(
        "visit length: "
        + "; ".join(
            f"{client} short {lengths[client, 'short']} full {lengths[client, 'full']}"
            for client in ("C1001", "C1002")
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

"""Visit length: how many inputs a whole visit takes, every question answered.

    python benchmarks/visit_length.py

Drives the demo clients C1001 (a shop with one loan) and C1002 (a trading company with a new loan
and an older one) through the real Application, the way an officer answers a visit where all is
in order: the look-ups recorded (one tap when nothing was found), the location shared, documents
continued past, a figure typed, a run of usual answers confirmed in one tap ("✓ 这 N 项都如常"),
yes/no and choices tapped (the answer that needs no follow-up: the normal path), a sentence for
a text question, one photo filed, and the submit. Every message and every tap the officer sends
is an input, the opening /visit included, and so are the two taps
(📑, then ⇄) that switch a visit from the depth it starts at. Each client is visited at both
depths, once answering question by question and once with the officer telling the facts in one
paragraph at the first interview question (then ✓, and the rest one by one). It ends with

    visit length with one paragraph: C1001 short N full N; C1002 short N full N
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
# What an officer tells at the first question of the interview, in one go, when the visit is
# answered with a paragraph: the figures and facts of a normal visit, as spoken.
PARAGRAPHS = {
    "C1001": (
        "老板本人接待，主营没变，地址没搬，现场和档案登记的地址一致，员工8个，在岗6个，人均工资五千，"
        "店面120平，月租八千，没有别的经营地点，账上能动用的钱大概20万，应收大概30万，给客户的账期"
        "30天，应付大概25万，供货商给的账期45天，库存大概值60万，周转一次大概60天，去年营业额三百万，"
        "今年到现在两百二十万，毛利率大概两成，按合同约定用途用的，已经用掉28万，没有别的贷款，"
        "没有拿钱做别的投资，没给别人担保，资产负债率大概三成，没有官司纠纷，还款靠经营收入，"
        "半年内到期要还的一共30万，还款压力不大，到期后要续贷"
    ),
    "C1002": (
        "实控人接待，主营没变，地址没搬，现场和档案登记的地址一致，员工一共26个，在岗22个，"
        "人均工资六千，仓库加门面800平，月租三万，没有别的经营地点，账上能动用的钱大概150万，"
        "应收大概600万，给客户的账期60天，应付大概300万，供货商给的账期30天，库存大概值900万，"
        "周转一次大概45天，最大的客户大约占销售额两成，最近上下游没有变化，去年营业额四千万，"
        "今年到现在三千一百万，毛利率大概12%，按合同约定用途用的，已经用掉380万，没有别的贷款，"
        "没有拿钱做别的投资，没给别人担保，资产负债率大概五成，没有官司纠纷，还款靠经营收入，"
        "半年内到期要还的一共500万，还款压力不大，到期后要续贷"
    ),
}
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


async def one_input(chat: Chat, paragraph: str | None = None) -> int:
    """Answer the current step as an officer would; the number of inputs it took."""
    last = chat.message_with_buttons()
    text, labels = last.text, last.button_labels
    if paragraph is not None and "今天接待您的是谁" in text:
        await chat.send(paragraph)
        await chat.press("✓ 都对，继续")
        return 2
    if "✓ 都对，继续" in labels:
        # A sentence filled more than its own question: the officer looks and agrees.
        await chat.press("✓ 都对，继续")
        return 1
    if usual := next((label for label in labels if label.endswith("项都如常")), None):
        # Everything in order: the run of usual answers the step lists, in one tap.
        await chat.press(usual)
        return 1
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
    if "营业额大概多少" in text:
        await chat.send("三百万左右")  # a shop's year, not the 25万 said of everything else
    elif unit and unit.group(1) in SPOKEN:
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


async def visit_length(
    chat: Chat, client: str, depth: str, trace: bool = False, told: bool = False
) -> int:
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
        inputs += await one_input(chat, PARAGRAPHS[client] if told else None)
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
        lengths: dict[tuple[str, str, bool], int] = {}
        async with polling(application):
            chat = Chat(
                api,
                FakeUser(officer.telegram_id, officer.first_name),
                settle_in_process(api, application),
            )
            trace = "--trace" in sys.argv
            for told in (False, True):
                for client in ("C1001", "C1002"):
                    for depth in ("short", "full"):
                        length = await visit_length(chat, client, depth, trace, told)
                        lengths[client, depth, told] = length
    for told, label in ((True, "visit length with one paragraph"), (False, "visit length")):
        print(
            f"{label}: "
            + "; ".join(
                f"{c} short {lengths[c, 'short', told]} full {lengths[c, 'full', told]}"
                for c in ("C1001", "C1002")
            )
        )


if __name__ == "__main__":
    asyncio.run(main())

"""What is in order takes one tap: a run of questions at their usual answers (主营未变、地址未变、
与档案地址一致、无其他经营地点) confirmed together, each still answerable on its own, and the
checkpoints that the interview already answered not asked again."""

from sqlalchemy import select

from assistant.db.models import Visit, VisitAnswer
from tests.conftest import DemoBank
from tests.handlers.test_visit_short import arrive, shop_officer

BUSINESS = "flow.interview.business"


async def stored(app) -> dict[str, object]:
    services = app.bot_data["services"]
    async with services.database.session() as session:
        visit = await session.scalar(select(Visit).order_by(Visit.id.desc()))
        rows = await session.scalars(select(VisitAnswer).where(VisitAnswer.visit_id == visit.id))
        return {row.item_id: row.value["v"] for row in rows}


async def test_the_usual_answers_of_a_run_of_questions_go_in_one_tap(demo_bank: DemoBank):
    async with shop_officer(demo_bank) as (app, officer):
        await arrive(officer)
        await officer.press("借款人本人")
        step = officer.last_text
        assert "主营业务和贷款时相比有没有变化" in step
        assert "如常可一键记录：主营未变、地址未变、与档案地址一致、无其他经营地点" in step
        assert officer.last.button_labels[:3] == ["是", "否", "✓ 这 4 项都如常"]

        await officer.press("✓ 这 4 项都如常")
        assert officer.last_text.startswith("✓ 已记录：主营未变、地址未变"), officer.last_text
        assert "现在一共有多少员工" in officer.last_text, "on past all four"
        answers = await stored(app)
        assert answers[f"{BUSINESS}.main_business_changed"] is False
        assert answers[f"{BUSINESS}.address_changed"] is False
        assert answers[f"{BUSINESS}.site_matches_record"] is True
        assert answers["flow.interview.staff.other_sites"] is False


async def test_one_answer_out_of_the_ordinary_is_given_on_its_own(demo_bank: DemoBank):
    async with shop_officer(demo_bank) as (app, officer):
        await arrive(officer)
        await officer.press("借款人本人")
        await officer.press("是")  # the main business has changed: not the usual answer
        assert "现在主要做什么" in officer.last_text, "its follow-up comes first"
        assert "项都如常" not in " ".join(officer.last.button_labels)
        await officer.send("去年起改做卫浴批发，收入差不多")

        # The rest of the run is still offered, without the one answered.
        step = officer.last_text
        assert "如常可一键记录：地址未变、与档案地址一致、无其他经营地点" in step, step
        await officer.press("✓ 这 3 项都如常")
        answers = await stored(app)
        assert answers[f"{BUSINESS}.main_business_changed"] is True
        assert answers[f"{BUSINESS}.address_changed"] is False

        # In English, the same offer in the officer's words.
        await officer.send("/lang en")
        await officer.send("/visit C1001")
        assert "How many people" in officer.last_text
        await officer.press("⬅ Back")
        assert "Are there any other business sites?" in officer.last_text
        assert "Recorded so far: no" in officer.last_text, "answered: no run offered again"
        assert "as usual" not in " ".join(officer.last.button_labels)

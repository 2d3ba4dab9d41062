"""The phrasing service: what it suggests, in which order, that nothing it returns breaks a don't,
and the optional LLM rewordings."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage
from pydantic import Field

from assistant.data.checklist import KINDS
from assistant.llm import LlmComponent
from assistant.phrasing.catalog import FOCUS, STAGES
from assistant.phrasing.donts import PhrasingDataError
from assistant.phrasing.occasions import FESTIVAL_KEYS, festival_date
from assistant.phrasing.service import (
    PhrasingContext,
    PhrasingService,
    Suggestion,
    address,
    stage_for,
)

from .conftest import ANNIVERSARY, DONTS, PHRASES, PROMPTS

Context = Callable[..., PhrasingContext]
FESTIVE = {*FESTIVAL_KEYS, "bank_anniversary"}


def ids(suggestions: list[Suggestion]) -> list[str]:
    return [s.phrase_id for s in suggestions]


def occasions(suggestions: list[Suggestion]) -> list[str]:
    return [s.occasion for s in suggestions]


def assert_clean(service: PhrasingService, suggestion: Suggestion, context: PhrasingContext):
    """Nothing forbidden, nothing left unfilled, and a reason for the officer."""
    lang = suggestion.lang
    assert service.violations(suggestion.text, lang, [context.client_name]) == [], suggestion
    assert "{" not in suggestion.text and "}" not in suggestion.text, suggestion
    assert suggestion.reason.strip(), suggestion


# ── the done-when case ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_renewal_client_near_mid_autumn_gets_a_festival_or_renewal_opener(
    service: PhrasingService, make_context: Context, lang: str, kind: str
):
    mid_autumn = festival_date("mid_autumn", 2026)
    today = mid_autumn - timedelta(days=5)
    context = make_context(
        client_kind=kind, stage="long_standing", days_to_maturity=40, renewal_raised=True
    )

    top = service.suggest(context, today=today, lang=lang)

    assert len(top) == 3
    assert len(set(ids(top))) == 3
    assert {"mid_autumn", "renewal_window"} <= set(occasions(top))
    assert top[0].occasion in {"mid_autumn", "renewal_window"}
    for suggestion in top:
        assert_clean(service, suggestion, context)
    forbidden = ["贷后", "检查", "续贷没问题", "保证", "利率优惠"] if lang == "zh" else [
        "post-loan", "inspect", "guarantee", "discount"
    ]  # fmt: skip
    assert not any(word in s.text.lower() for s in top for word in forbidden)
    festive = next(s for s in top if s.occasion == "mid_autumn")
    renewal = next(s for s in top if s.occasion == "renewal_window")
    if lang == "zh":
        assert f"{mid_autumn.month}月{mid_autumn.day}日" in festive.reason
        assert festive.reason.startswith("中秋将至")
        assert renewal.reason.startswith("贷款40天后到期")
    else:
        assert festive.reason.startswith("The Mid-Autumn Festival is 5 days away")
        assert renewal.reason.startswith("The loan matures in 40 days")
    assert festive.occasion_date == mid_autumn
    assert renewal.occasion_date == today + timedelta(days=40)


# ── the grid: every month, every kind of client ────────────────────────────────────────────────


def grid_days() -> list[date]:
    days = [date(2026, month, day) for month in range(1, 13) for day in (1, 15)]
    # And each festival's eve, day and (for 春节) the days after.
    for key in FESTIVAL_KEYS:
        on = festival_date(key, 2026)
        days += [on - timedelta(days=1), on, on + timedelta(days=3)]
    days += [date(2026, 6, 18), date(2026, 12, 31)]
    return sorted(set(days))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_suggestion_across_the_year_and_all_clients_is_clean(
    service: PhrasingService, make_context: Context, lang: str
):
    checked = 0
    seen_occasions: set[str] = set()
    for today, stage, kind, focus, folded, maturity in itertools.product(
        grid_days(), STAGES, KINDS, (None, *FOCUS), (False, True), (None, 40)
    ):
        context = make_context(
            client_kind=kind,
            stage=stage,
            focus=focus,
            folded_into_trip=folded,
            days_to_maturity=maturity,
            renewal_raised=maturity is not None,
        )
        top = service.suggest(context, today=today, lang=lang)
        assert len(top) == 3, (today, context)
        assert len(set(ids(top))) == 3
        assert [s.score for s in top] == sorted((s.score for s in top), reverse=True)
        for suggestion in top:
            assert_clean(service, suggestion, context)
            assert suggestion.lang == lang
        seen_occasions.update(occasions(top))
        checked += len(top)
    assert checked > 10_000
    # Over a year every kind of occasion comes up somewhere.
    assert seen_occasions >= {*FESTIVAL_KEYS, "bank_anniversary", "renewal_window", "passing_by",
                              "new_product", "general"}  # fmt: skip


def test_renewal_is_raised_only_after_the_client_raised_it(
    service: PhrasingService, make_context: Context
):
    today = date(2026, 9, 20)
    unasked = service.suggest(make_context(days_to_maturity=40), today=today, lang="zh", n=10)
    assert "renewal_window" not in occasions(unasked)
    raised = make_context(days_to_maturity=40, renewal_raised=True)
    assert "renewal_window" in occasions(service.suggest(raised, today=today, lang="zh", n=10))
    # The officer may still pick it: they know the client.
    picked = make_context(days_to_maturity=40, occasion="renewal_window")
    assert service.suggest(picked, today=today, lang="zh")[0].occasion == "renewal_window"


def test_a_shop_is_addressed_by_its_owner_and_a_trader_is_not_told_of_a_plant(
    quiet_service: PhrasingService, make_context: Context
):
    shop = make_context(client_name="张记五金店", owner_name="张国富")
    assert quiet_service.suggest(shop, today=QUIET_DAY, lang="zh")[0].text.startswith("张老板")
    for industry, plant in (("建材批发", False), ("电子制造", True)):
        trader = make_context(client_name="恒信建材贸易有限公司", client_kind="corporate",
                              industry=industry)  # fmt: skip
        found = quiet_service.suggest(trader, today=QUIET_DAY, lang="zh", n=20)
        assert any("厂里" in s.text for s in found) is plant, industry


# ── ranking ────────────────────────────────────────────────────────────────────────────────────

QUIET_DAY = date(2026, 7, 20)  # no festival within two weeks, no anniversary


@pytest.fixture
def quiet_service(write_yaml: Callable[[str, Any], Path]) -> PhrasingService:
    """The shipped phrases with no campaign and no anniversary."""
    empty = write_yaml("empty_campaigns.yaml", {"version": 1, "campaigns": []})
    return PhrasingService(PHRASES, DONTS, empty, bank_anniversary=None)


def test_a_visit_folded_into_a_trip_leads_with_passing_by(
    quiet_service: PhrasingService, make_context: Context
):
    folded = quiet_service.suggest(make_context(folded_into_trip=True), today=QUIET_DAY, lang="zh")
    assert folded[0].occasion == "passing_by"
    assert folded[0].reason.startswith("这次走访和别的行程顺路")
    alone = quiet_service.suggest(make_context(), today=QUIET_DAY, lang="zh")
    assert folded[0].score > next(s.score for s in alone if s.occasion == "passing_by")


def test_a_quiet_day_still_offers_passing_by_and_general_openers(
    quiet_service: PhrasingService, make_context: Context
):
    top = quiet_service.suggest(make_context(), today=QUIET_DAY, lang="zh")
    assert set(occasions(top)) == {"passing_by", "general"}
    assert len(set(ids(top))) == 3


def test_the_three_come_from_different_occasions_when_there_are_three(
    service: PhrasingService, make_context: Context
):
    context = make_context(days_to_maturity=60, renewal_raised=True)
    top = service.suggest(context, today=date(2026, 9, 20), lang="zh")
    assert len(set(occasions(top))) == 3


def test_the_officers_occasion_comes_first_even_outside_the_window(
    quiet_service: PhrasingService, make_context: Context
):
    context = make_context(occasion="dragon_boat", days_to_maturity=30)
    top = quiet_service.suggest(context, today=date(2026, 5, 20), lang="zh")
    assert top[0].occasion == "dragon_boat"
    assert top[0].reason.startswith("端午将至（6月19日）")
    # An occasion that cannot be made up (no campaign running) is simply not offered.
    none = quiet_service.suggest(make_context(occasion="new_product"), today=QUIET_DAY, lang="zh")
    assert "new_product" not in occasions(none) and len(none) == 3


def test_the_visit_focus_moves_matching_phrases_up(
    quiet_service: PhrasingService, make_context: Context
):
    referral = quiet_service.suggest(make_context(focus="referral"), today=QUIET_DAY, lang="zh")
    insight = quiet_service.suggest(make_context(focus="side_insight"), today=QUIET_DAY, lang="zh")
    phrases = {p.id: p for p in quiet_service.phrases}
    assert "referral" in phrases[referral[0].phrase_id].focus
    assert "side_insight" in phrases[insight[0].phrase_id].focus


def test_stage_and_kind_filter_the_phrases(quiet_service: PhrasingService, make_context: Context):
    phrases = {p.id: p for p in quiet_service.phrases}
    for stage, kind in itertools.product(STAGES, KINDS):
        context = make_context(stage=stage, client_kind=kind, days_to_maturity=30)
        for suggestion in quiet_service.suggest(context, today=QUIET_DAY, lang="en", n=10):
            phrase = phrases[suggestion.phrase_id]
            assert stage in phrase.stages and kind in phrase.kinds
    handed_over = quiet_service.suggest(
        make_context(stage="handed_over"), today=QUIET_DAY, lang="zh"
    )
    assert "general.introduce_myself" in ids(handed_over)


def test_a_running_campaign_fills_in_the_product_name(service: PhrasingService, make_context):
    top = service.suggest(make_context(occasion="new_product"), today=QUIET_DAY, lang="zh")
    assert top[0].occasion == "new_product"
    assert "小微经营周转贷" in top[0].text
    assert top[0].reason.startswith("行里正在推小微经营周转贷（到12月31日为止）")
    en = service.suggest(make_context(occasion="new_product"), today=QUIET_DAY, lang="en")
    assert "the small-business working-capital loan" in en[0].text


def test_a_line_that_breaks_a_dont_once_filled_in_is_dropped(
    write_yaml: Callable[[str, Any], Path], make_context: Context, caplog
):
    # Each part passes on its own; together "展期服务绝对稳了" promises a renewal.
    phrase = {
        "id": "new_product.boast",
        "occasions": ["new_product"],
        "text": {"zh": "行里新推的{product}绝对稳了。", "en": "We now offer {product}."},
        "reason": {"zh": "示例。", "en": "Example."},
    }
    fallback = {
        "id": "passing_by.plain",
        "occasions": ["passing_by"],
        "text": {"zh": "路过进来坐坐。", "en": "Just passing by."},
        "reason": {"zh": "示例。", "en": "Example."},
    }
    campaign = {
        "id": "extension",
        "name": {"zh": "展期服务", "en": "the extension service"},
        "starts": "2026-01-01",
        "ends": "2026-12-31",
    }
    service = PhrasingService(
        write_yaml("phrases.yaml", {"version": 1, "phrases": [phrase, fallback]}),
        DONTS,
        write_yaml("campaigns.yaml", {"version": 1, "campaigns": [campaign]}),
        bank_anniversary=None,
    )
    context = make_context(occasion="new_product")
    assert ids(service.suggest(context, today=QUIET_DAY, lang="zh")) == ["passing_by.plain"]
    assert "new_product.boast" in caplog.text and "promise_renewal" in caplog.text
    # The English line says nothing wrong, so it is offered.
    assert "new_product.boast" in ids(service.suggest(context, today=QUIET_DAY, lang="en"))


def test_n_limits_the_number_and_unknown_values_are_refused(
    service: PhrasingService, make_context: Context
):
    assert len(service.suggest(make_context(), today=QUIET_DAY, lang="zh", n=1)) == 1
    assert len(service.suggest(make_context(), today=QUIET_DAY, lang="zh", n=6)) == 6
    with pytest.raises(ValueError, match="language"):
        service.suggest(make_context(), today=QUIET_DAY, lang="fr")
    for bad in ({"client_kind": "bank"}, {"stage": "old"}, {"focus": "x"}, {"occasion": "x"}):
        with pytest.raises(ValueError, match="unknown"):
            make_context(**bad)


# ── names ──────────────────────────────────────────────────────────────────────────────────────


def test_a_client_name_with_a_forbidden_word_does_not_fail_the_openers(
    service: PhrasingService, make_context: Context
):
    context = make_context(client_name="检查站饭店", address_as="检查站饭店王老板")
    top = service.suggest(context, today=date(2026, 9, 20), lang="zh", n=6)
    assert len(top) == 6
    assert any(s.text.startswith("检查站饭店王老板，") for s in top)
    for suggestion in top:
        assert service.violations(suggestion.text, "zh", [context.address_as or ""]) == []


@pytest.mark.parametrize(
    ("name", "kind", "address_as", "zh", "en"),
    [
        ("王建国", "individual", None, "王老板", "Boss 王"),
        ("欧阳明", "individual", None, "欧阳老板", "Boss 欧阳"),
        ("王记五金店", "individual", None, "老板", "Hello"),
        ("Wang Jianguo", "individual", None, "Wang老板", "Boss Wang"),
        ("杭州恒达纺织有限公司", "corporate", None, "您好", "Hello"),
        ("杭州恒达纺织有限公司", "corporate", "李总", "李总", "李总"),
    ],
)
def test_the_form_of_address(
    make_context: Context, name: str, kind: str, address_as: str | None, zh: str, en: str
):
    context = make_context(client_name=name, client_kind=kind, address_as=address_as)
    assert (address(context, "zh"), address(context, "en")) == (zh, en)


# ── stage_for ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("handed_over_on", "first_disbursed_on", "expected"),
    [
        (None, date(2026, 5, 1), "new"),
        (date(2026, 8, 1), date(2026, 5, 1), "new"),
        (date(2026, 8, 1), date(2020, 5, 1), "handed_over"),
        (date(2026, 3, 21), date(2020, 5, 1), "handed_over"),
        (date(2026, 3, 20), date(2020, 5, 1), "long_standing"),
        (None, date(2026, 3, 20), "long_standing"),
        (None, None, "long_standing"),
    ],
)
def test_stage_for(handed_over_on: date | None, first_disbursed_on: date | None, expected: str):
    assert stage_for(handed_over_on, first_disbursed_on, date(2026, 9, 20)) == expected


def test_six_months_before_the_end_of_a_month_is_the_end_of_a_shorter_month():
    # 2026-08-31 minus six months is 2026-02-28; a loan from that day is no longer new.
    assert stage_for(None, date(2026, 2, 28), date(2026, 8, 31)) == "long_standing"
    assert stage_for(None, date(2026, 3, 1), date(2026, 8, 31)) == "new"


# ── loading ────────────────────────────────────────────────────────────────────────────────────


def test_nothing_is_read_until_first_use_and_a_missing_file_is_named(tmp_path: Path, make_context):
    missing = tmp_path / "nowhere.yaml"
    service = PhrasingService(missing, DONTS, missing, bank_anniversary=None)
    with pytest.raises(PhrasingDataError) as caught:
        service.suggest(make_context(), today=QUIET_DAY, lang="zh")
    assert str(missing) in str(caught.value)
    assert caught.value.key == "phrasing.file_broken"


def test_a_broken_phrase_stops_the_service_with_the_phrase_named(
    write_yaml: Callable[[str, Any], Path], campaigns_2026: Path, make_context: Context
):
    text = PHRASES.read_text(encoding="utf-8").replace(
        "今天在这附近办点事，离您这儿就几步路，顺道进来坐坐。", "今天来做个贷后回访。"
    )
    broken = write_yaml("phrases.yaml", text)
    service = PhrasingService(broken, DONTS, campaigns_2026, bank_anniversary=None)
    with pytest.raises(PhrasingDataError, match=r"phrase passing_by\.errand_nearby/text/zh"):
        service.load()


def test_a_bad_anniversary_is_refused_at_construction():
    with pytest.raises(ValueError, match="MM-DD"):
        PhrasingService(PHRASES, DONTS, PHRASES, bank_anniversary="6/18")
    assert PhrasingService(bank_anniversary=ANNIVERSARY).bank_anniversary == ANNIVERSARY


# ── LLM variants ───────────────────────────────────────────────────────────────────────────────


class RecordingFake(FakeListChatModel):
    prompts: list = Field(default_factory=list)

    async def ainvoke(self, messages, *args, **kwargs):
        self.prompts.append(messages)
        return await super().ainvoke(messages, *args, **kwargs)


class FailingModel:
    async def ainvoke(self, messages, *args, **kwargs):
        raise ConnectionError("provider down")


class SlowModel:
    async def ainvoke(self, messages, *args, **kwargs):
        await asyncio.sleep(5)
        return AIMessage("王老板，路过看看您。")


def with_model(model: Any, campaigns: Path, timeout: float = 5) -> PhrasingService:
    return PhrasingService(
        PHRASES,
        DONTS,
        campaigns,
        bank_anniversary=None,
        llm=LlmComponent(model, PROMPTS, timeout=timeout),
    )


@pytest.fixture
def opener(service: PhrasingService, make_context: Context) -> Suggestion:
    return service.suggest(make_context(folded_into_trip=True), today=QUIET_DAY, lang="zh")[0]


async def test_variants_keep_only_the_lines_that_pass_every_dont(
    campaigns_2026: Path, make_context: Context, opener: Suggestion
):
    good = "王老板，刚好在这附近办事，顺路过来坐一会儿。"
    model = RecordingFake(responses=[f"1. {good}\n2. 王老板，我们今天来做一下贷后检查。\n"])
    service = with_model(model, campaigns_2026)
    assert await service.variants(opener, make_context(), "zh") == [good]
    system, user = model.prompts[0]
    assert "不对小微客户说这是贷后检查" in system.content
    assert opener.text in user.content


async def test_variants_drop_preambles_rambling_repeats_and_lost_greetings(
    campaigns_2026: Path, make_context: Context, opener: Suggestion
):
    assert opener.text.startswith("王老板，")
    long_line = "王老板，" + "顺路过来看看您，" * 30
    reply = "\n".join(
        [
            "以下是改写后的说法：",
            f"“{opener.text}”",
            long_line,
            "路过进来坐坐。",
            "- 王老板，路过进来坐坐。",
            "- 王老板，路过进来坐坐。",
        ]
    )
    service = with_model(FakeListChatModel(responses=[reply]), campaigns_2026)
    assert await service.variants(opener, make_context(), "zh") == ["王老板，路过进来坐坐。"]


async def test_variants_are_empty_without_a_model_or_when_the_model_fails(
    service: PhrasingService,
    campaigns_2026: Path,
    make_context: Context,
    opener: Suggestion,
):
    context = make_context()
    assert await service.variants(opener, context, "zh") == []
    assert await with_model(FailingModel(), campaigns_2026).variants(opener, context, "zh") == []
    slow = with_model(SlowModel(), campaigns_2026, timeout=0.05)
    assert await slow.variants(opener, context, "zh") == []


async def test_variants_in_english_mask_the_clients_name(
    campaigns_2026: Path, make_context: Context
):
    context = make_context(client_name="检查站饭店", address_as="Boss Inspector")
    service = with_model(
        FakeListChatModel(
            responses=[
                "Boss Inspector, I was nearby and thought I'd say hello.\n"
                "Boss Inspector, this is your routine loan review."
            ]
        ),
        campaigns_2026,
    )
    (opener,) = service.suggest(context, today=QUIET_DAY, lang="en", n=1)
    assert await service.variants(opener, context, "en") == [
        "Boss Inspector, I was nearby and thought I'd say hello."
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_variants_prompt_renders_in_both_languages(
    campaigns_2026: Path, make_context: Context, lang: str
):
    service = with_model(FakeListChatModel(responses=["x"]), campaigns_2026)
    (suggestion,) = service.suggest(make_context(), today=QUIET_DAY, lang=lang, n=1)
    system, user = service._variant_prompt(suggestion, lang)
    descriptions = [d.description.get(lang) for d in service.donts.donts]
    assert all(d in system for d in descriptions)
    assert "3" in system
    assert suggestion.text in user and suggestion.reason in user

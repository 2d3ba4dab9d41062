"""The optional LLM polish: accepted only when it adds no number; any failure keeps the text."""

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage
from pydantic import Field

from assistant.llm import LlmComponent
from assistant.reports.model import ReportSection
from assistant.reports.polish import NarrativePolisher, numbers, rejection

PROMPTS = Path(__file__).resolve().parents[3] / "prompts" / "llm"


class CountingFake(FakeListChatModel):
    calls: int = 0
    prompts: list = Field(default_factory=list)

    async def ainvoke(self, messages, *args, **kwargs):
        self.calls += 1
        self.prompts.append(messages)
        return await super().ainvoke(messages, *args, **kwargs)


class FailingModel:
    async def ainvoke(self, messages, *args, **kwargs):
        raise ConnectionError("provider down")


class SlowModel:
    async def ainvoke(self, messages, *args, **kwargs):
        await asyncio.sleep(5)
        return AIMessage("太慢了。")


@pytest.fixture
def section(make_report) -> ReportSection:
    data = make_report("zh")
    return next(s for s in data.sections if s.id == "business")


def polisher(model, timeout: float = 5.0) -> NarrativePolisher:
    return NarrativePolisher(LlmComponent(model, PROMPTS, timeout=timeout))


async def test_a_reworded_paragraph_with_the_same_figures_is_accepted(section: ReportSection):
    text = "现有员工约35人，到访时在岗30人；月平均工资4,500元，月租金1.2万元。去年营业额300万元。"
    model = CountingFake(responses=[f"  {text}\n"])
    result = await polisher(model).polish(section, "zh")
    assert result.narrative == text
    assert result.narrative_source == "llm"
    assert result.facts == section.facts and result.id == section.id
    system, user = model.prompts[0]
    assert "不得出现任何新的数字" in system.content
    assert "员工总数：约35人" in user.content
    assert section.narrative in user.content


async def test_a_new_number_is_rejected(section: ReportSection, caplog):
    model = CountingFake(responses=["现有员工约36人，经营正常。"])
    result = await polisher(model).polish(section, "zh")
    assert result == section and result.narrative_source == "template"
    # The log says why as a kind; the reply, which may quote the client, stays out of it.
    assert "rejected (new_figure)" in caplog.text
    assert "36" not in caplog.text


async def test_a_number_spelled_out_differently_is_rejected(section: ReportSection):
    model = CountingFake(responses=["现有员工三十五人，经营正常。"])
    assert (await polisher(model).polish(section, "zh")) == section


async def test_an_exception_a_timeout_or_an_empty_reply_keeps_the_templated_text(
    section: ReportSection,
):
    assert (await polisher(FailingModel()).polish(section, "zh")) == section
    assert (await polisher(SlowModel(), timeout=0.05).polish(section, "zh")) == section
    assert (await polisher(CountingFake(responses=["   "])).polish(section, "zh")) == section


async def test_an_essay_is_rejected(section: ReportSection):
    model = CountingFake(responses=[section.narrative * 5])
    assert (await polisher(model).polish(section, "zh")) == section


async def test_an_edited_or_polished_section_is_never_sent(section: ReportSection):
    model = CountingFake(responses=["不该出现。"])
    edited = replace(section, narrative="我自己写的。", narrative_source="edited")
    polished = replace(section, narrative_source="llm")
    assert (await polisher(model).polish(edited, "zh")) is edited
    assert (await polisher(model).polish(polished, "zh")) is polished
    assert model.calls == 0


async def test_english_sections_and_whole_reports(make_report):
    data = make_report("en", overrides={"basic": "Mine."})
    model = CountingFake(responses=["Reworded without figures."])
    polished = await polisher(model).polish_all(data)
    sources = {s.id: s.narrative_source for s in polished.sections}
    assert sources["basic"] == "edited"
    assert set(sources.values()) == {"edited", "llm"}
    assert model.calls == len(data.sections) - 1
    assert "Do not introduce any new number" in model.prompts[0][0].content


def test_numbers_are_compared_by_value():
    assert numbers("CNY 250,000 and 18.50% on 2026-03-02") == {"250000", "18.5", "2026", "3", "2"}
    assert numbers("约３５人") == {"35"}
    assert numbers("三十五人，两家店，一个问题") == {"三十五", "两家"}
    assert numbers("Twenty staff, one owner") == {"twenty"}


def test_rejection_explains_itself(section: ReportSection):
    assert rejection("", section) == "empty reply"
    assert rejection("员工35人。", section) is None
    assert "99" in (rejection("员工99人。", section) or "")

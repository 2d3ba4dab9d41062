"""The synonyms, out-of-scope and glossary files: the bank's copies load, and a broken one is
refused with the place an editor can find."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.knowledge.search_files import (
    SearchFileError,
    load_glossary,
    load_out_of_scope,
    load_synonyms,
)

KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_synonyms_expand_a_colloquial_question():
    synonyms = load_synonyms(KNOWLEDGE / "synonyms.yaml")
    assert "个体工商户" in synonyms.expand("个体户要查什么")
    # Normalised as they are read: the English terms match whatever the case typed.
    assert "diverted" in synonyms.expand("Was the LOAN PURPOSE respected?")


def test_the_shipped_anchors_are_questions_in_file_order():
    anchors, _ = load_out_of_scope(KNOWLEDGE / "out_of_scope.yaml")
    assert anchors[0] == "明天天气怎么样，会下雨吗"
    assert all(a == a.strip() and a for a in anchors)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "groups:\n  - [个体户, 个体]\n  - [挪用]\n",
            "group #2: the group needs at least two terms",
        ),
        (
            "groups:\n  - [个体户, yes]\n",
            "term #2: the term must be text (put it in quotes), got bool True",
        ),
        ("groups:\n  - [个体户, '  ']\n", "group #1, term #2: the term is empty"),
        ("groups: []\n", "'groups': list should have at least 1 item"),
        ("group:\n  - [a, b]\n", "missing the field 'groups'"),
    ],
)
def test_a_broken_synonyms_file_names_the_group_and_term(tmp_path, text, message):
    with pytest.raises(SearchFileError) as error:
        load_synonyms(write(tmp_path, text))
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "anchors:\n  - 天气怎么样\n  - 2024\n",
            "#2: the question must be text (put it in quotes), got int 2024",
        ),
        (
            "anchors:\n  - 天气怎么样\n  - 天气怎么样\n  - ''\n",
            "question #3: the question is empty",
        ),
        ("anchors: 天气怎么样\n", "'anchors': input should be a valid list"),
        ("anchors:\n  - a\nanchors:\n  - b\n", "line 3, column 1: not valid YAML"),
    ],
)
def test_a_broken_anchors_file_names_the_question(tmp_path, text, message):
    with pytest.raises(SearchFileError) as error:
        load_out_of_scope(write(tmp_path, text))
    assert message in str(error.value)


def test_the_shipped_gaps_are_named_topics_with_their_questions():
    _, gaps = load_out_of_scope(KNOWLEDGE / "out_of_scope.yaml")
    assert len(gaps) >= 20
    assert len({gap.id for gap in gaps}) == len(gaps)
    assert all(gap.title.zh and gap.title.en and len(gap.questions) >= 2 for gap in gaps)


@pytest.mark.parametrize(
    ("gaps", "message"),
    [
        (
            "  - id: writeoff\n    title: {zh: 核销, en: Write-offs}\n    questions: [只有一个]\n",
            "gap writeoff: 'questions': list should have at least 2 items",
        ),
        (
            "  - id: Write-Off\n    title: {zh: 核销, en: Write-offs}\n    questions: [a, b]\n",
            "gap Write-Off: 'id':",
        ),
        (
            "  - id: writeoff\n    questions: [a, b]\n",
            "gap writeoff: missing the field 'title'",
        ),
    ],
)
def test_a_broken_gap_names_the_topic(tmp_path, gaps, message):
    with pytest.raises(SearchFileError) as error:
        load_out_of_scope(write(tmp_path, "anchors:\n  - 天气怎么样\ngaps:\n" + gaps))
    assert message in str(error.value)


def test_the_shipped_glossary_names_each_concept_by_its_first_terms():
    concepts = load_glossary(KNOWLEDGE / "glossary.yaml")
    assert len(concepts) > 300
    extension = next(c for c in concepts if c.id == "loan_extension")
    assert (extension.title.zh, extension.title.en) == ("展期", "loan extension")
    # Normalised as read: matched against a normalised question.
    assert all(t == t.lower().strip() for c in concepts for t in c.terms)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "concepts:\n  - {id: a, topic: t, zh: [展期], en: [extension]}\n"
            "  - {id: b, topic: t, zh: [延期, 展期], en: [deferral]}\n",
            "concept b: the term '展期' is also in a",
        ),
        (
            "concepts:\n  - {id: a, topic: t, zh: [展期], en: [x]}\n"
            "  - {id: a, topic: t, zh: [续贷], en: [renewal]}\n",
            "concept a: the id is used twice",
        ),
        ("concepts:\n  - {id: a, topic: t, zh: [], en: [x]}\n", "concept a"),
        ("concepts:\n  - {id: a, topic: t, zh: [展期, 2024], en: [x]}\n", "the term must be text"),
        ("concepts:\n  - {id: Bad Id, topic: t, zh: [展期], en: [x]}\n", "concept Bad Id: 'id'"),
    ],
)
def test_a_broken_glossary_names_the_concept(tmp_path, text, message):
    with pytest.raises(SearchFileError) as error:
        load_glossary(write(tmp_path, text))
    assert message in str(error.value)

"""Which concepts a question names, longest term first, and which no entry names."""

from assistant.data.vocabulary import Bilingual
from assistant.knowledge.concepts import Concept, Concepts


def concept(key: str, *terms: str) -> Concept:
    return Concept(key, "t", Bilingual(terms[0], terms[-1]), terms)


GLOSSARY = [
    concept("acceleration", "提前收贷", "call the loan"),
    concept("maturity_collection", "收贷", "collect at maturity"),
    concept("loan_extension", "展期", "loan extension"),
    concept("collateral", "抵押物", "collateral"),
    concept("oa", "oa", "oa system"),
]
ENTRIES = ["抵押物要拍照，看是否完好。", "Check the collateral; the bank may call the loan early."]


def test_a_question_names_concepts_longest_term_first_each_once():
    concepts = Concepts(GLOSSARY, ENTRIES)
    assert [c.id for c in concepts.named("啥情况下可以提前收贷 提前收贷")] == ["acceleration"]
    assert [c.id for c in concepts.named("客户想展期，抵押物还在")] == [
        "loan_extension",
        "collateral",
    ]


def test_latin_terms_match_whole_words_and_plurals():
    concepts = Concepts(GLOSSARY, ENTRIES)
    assert concepts.named("how do loans work") == []
    assert [c.id for c in concepts.named("Two LOAN EXTENSIONS in a year?")] == ["loan_extension"]
    assert [c.id for c in concepts.named("the OA system is down")] == ["oa"]


def test_a_concept_no_entry_names_is_uncovered():
    concepts = Concepts(GLOSSARY, ENTRIES)
    assert concepts.covered == {"acceleration", "collateral"}
    assert concepts.uncovered("客户想展期 手续怎么办").id == "loan_extension"
    # Named by an entry: covered, whatever else the question says.
    assert concepts.uncovered("抵押物要拍哪些照片") is None
    assert concepts.uncovered("啥情况下可以提前收贷") is None
    assert Concepts((), ()).uncovered("展期") is None

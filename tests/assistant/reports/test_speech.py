"""What the borrower said, as the report repeats it."""

import pytest

from assistant.reports.labels import DEFAULT_TEMPLATES, load_labels
from assistant.reports.speech import reported


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        (
            "大部分进了水暖配件，付给了永兴五金批发，还有十万左右拿去给儿子买车了",
            "主要用于采购水暖配件，付给永兴五金批发，另有约10万元用于为其子买车",
        ),
        ("全部用来进水暖配件了。", "全部用于采购水暖配件"),
        ("我们拿去还了别的贷款，二十来万", "借款人用于还别的贷款，约20万元"),
        ("五万块给我老婆开店", "5万元给其配偶开店"),
        # What the rules do not know is kept as typed: nothing said is lost.
        ("借给亲戚交购房首付", "借给亲戚交购房首付"),
    ],
)
def test_chinese_is_written_as_reported_speech(typed: str, written: str):
    assert reported(typed, load_labels(DEFAULT_TEMPLATES, "zh")) == written


def test_english_is_written_in_the_third_person():
    labels = load_labels(DEFAULT_TEMPLATES, "en")
    assert reported("I used it to buy stock; my son took 20k.", labels) == (
        "the borrower used it to buy stock; their son took 20k"
    )

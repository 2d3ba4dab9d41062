"""Every message exists in zh and en and renders."""

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.i18n import Texts, clip, language_from_code, phone_lines

PROMPTS = Path(__file__).resolve().parents[2] / "prompts" / "messages"


@pytest.fixture(scope="module")
def texts() -> Texts:
    return Texts(PROMPTS, ZoneInfo("Asia/Shanghai"))


def test_both_languages_have_the_same_messages(texts: Texts):
    assert texts.keys("zh") == texts.keys("en")
    assert len(texts.keys("zh")) > 50


def test_every_template_compiles_in_both_languages(texts: Texts):
    from jinja2 import Environment

    env = Environment()
    for lang in ("zh", "en"):
        for key in texts.keys(lang):
            env.parse(texts._sources[lang][key])


@pytest.mark.parametrize("code", ["zh-hans", "zh", "zh-TW", None, "ru"])
def test_chinese_is_the_default_language(code):
    assert language_from_code(code) == "zh"


def test_english_clients_get_english():
    assert language_from_code("en-GB") == "en"


def test_parameters_are_escaped_for_telegram_html(texts: Texts):
    html = texts.render("zh", "client.not_found", code="<b>&")
    assert "&lt;b&gt;&amp;" in html
    assert texts.plain("zh", "client.not_found", code="<b>&").count("<b>&") == 1


def test_nested_labels_render_in_the_chosen_language(texts: Texts):
    assert "客户经理" in texts.render("zh", "start.joined", name="x", role="officer")
    assert "loan officer" in texts.render("en", "start.joined", name="x", role="officer")


def test_a_missing_key_is_an_error_not_a_blank(texts: Texts):
    with pytest.raises(KeyError):
        texts.render("zh", "no.such.message")


def test_a_text_is_clipped_to_a_phone_line_and_measured_as_one_wraps():
    assert clip("约30人", 14) == "约30人"
    assert (
        clip("经营正常，与上次看到的一致，老板说下个月还要进货", 14)
        == "经营正常，与上次看到的一致…"
    )
    assert clip("a" * 22, 13) == "a" * 22, "Latin letters are narrow"
    assert clip("a" * 40, 13).endswith("…") and len(clip("a" * 40, 13)) < 40
    assert phone_lines("<b>二</b>" * 20) == 1
    assert phone_lines("二" * 21 + "\n" + "a" * 36) == 3


def test_a_question_that_confirms_the_file_shows_what_it_records(texts: Texts):
    from datetime import date
    from decimal import Decimal
    from types import SimpleNamespace

    collateral = SimpleNamespace(
        type="商铺",
        area_sqm=Decimal("45.00"),
        location="解放路 12 号",
        registration_no="沪(2021)第0012345号",
        appraised_value=None,
        appraised_on=date(2021, 3, 1),
    )
    guarantor = SimpleNamespace(name="刘美兰", relationship="配偶", amount=Decimal(300000))
    client = SimpleNamespace(
        loans=[SimpleNamespace(collateral=[collateral], guarantors=[guarantor])]
    )

    def on_file(shows: str, lang: str) -> str:
        view = SimpleNamespace(
            client=client, stop=SimpleNamespace(item=SimpleNamespace(shows=shows))
        )
        return texts.render(lang, "visit.on_file", view=view)

    assert (
        on_file("collateral", "zh")
        == "档案：商铺 · 45平方米 · 解放路 12 号 · 权证 沪(2021)第0012345号"
    )
    assert on_file("guarantors", "zh") == "档案：保证人 刘美兰（配偶） 30万元"
    assert on_file("guarantors", "en") == "On file: 刘美兰 (配偶), 300,000…", "one line"
    assert on_file(None, "zh") == ""

"""What confirmed document fields say against the client on file and the client's own answers:
identity checks that forgive spacing and width but not another name, and ratios that read each
statement once and compare like with like."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.data.vocabulary import Bilingual
from assistant.db.models import ClientKind
from assistant.evidence.crosscheck import (
    MAIN_CUSTOMERS,
    MAIN_SUPPLIERS,
    REVENUE_LAST_YEAR,
    REVENUE_YEAR_TO_DATE,
    DocumentCheck,
    ReadDocument,
    cross_check,
    same_address,
    same_name,
    sign_matches,
)
from assistant.portfolio import ClientCard, LoanView

NAME = "杭州鑫源五金制品有限公司"
CODE = "91330106MA2B3C4D5D"  # a valid code: its check character is right
OTHER_CODE = "91440305MA5FQ2N8HH"
ADDRESS = "浙江省杭州市西湖区文三路123号"
VISIT_DATE = date(2024, 7, 1)
# 1 200 万元 a year: 100 万元 a month.
STATED = {REVENUE_LAST_YEAR: 12_000_000.0}


def make_card(*, name: str = NAME, purpose: str = "购买钢材等原材料", **fields: Any) -> ClientCard:
    loan = LoanView(
        contract_no="HT-2024-001",
        product="working_capital",
        amount=Decimal(1_000_000),
        agreed_purpose=purpose,
        disbursed_on=date(2024, 1, 2),
        matures_on=date(2025, 1, 2),
        days_since_disbursement=181,
        days_to_maturity=185,
        payment_method="entrusted",
        risk_class="normal",
        days_overdue=0,
        guarantors=[],
        collateral=[],
    )
    values: dict[str, Any] = {
        "code": "C001",
        "name": name,
        "kind": ClientKind.CORPORATE,
        "industry": "五金制品",
        "address": ADDRESS,
        "district": None,
        "has_coordinates": False,
        "officer_name": "张伟",
        "handed_over_on": None,
        "loans": [loan],
        "credit_code": CODE,
        "legal_representative": "张建华",
    }
    return ClientCard(**(values | fields))


def document(
    evidence_id: int, doc_type: str, visit_date: date | None = None, **confirmed: Any
) -> ReadDocument:
    return ReadDocument(evidence_id, doc_type, Bilingual(doc_type, doc_type), confirmed, visit_date)


def check(
    documents: list[ReadDocument],
    *,
    card: ClientCard | None = None,
    answers: dict[str, Any] | None = None,
    earlier: list[ReadDocument] | None = None,
) -> dict[str, DocumentCheck]:
    return cross_check(
        card or make_card(),
        STATED if answers is None else answers,
        documents,
        visit_date=VISIT_DATE,
        earlier=earlier or [],
    )


def licence(evidence_id: int = 1, **confirmed: Any) -> ReadDocument:
    return document(evidence_id, "licence", **confirmed)


# --- The licence ----------------------------------------------------------------------------


def test_a_licence_naming_another_legal_representative_is_a_mismatch_quoting_both():
    found = check([licence(7, legal_representative="李四")])["licence.legal_representative"]

    assert found.status == "mismatch"
    assert found.evidence_id == 7
    assert found.document.zh == "李四"
    assert found.record.zh == "张建华"
    assert found.ratio is None


@pytest.mark.parametrize("written", ["张建华", "张 建华", "张\u3000建华", " 张建华 "])
def test_the_same_legal_representative_matches_whatever_the_spacing(written):
    found = check([licence(legal_representative=written)])["licence.legal_representative"]
    assert found.status == "match"


def test_full_width_letters_and_case_do_not_make_a_mismatch():
    card = make_card(legal_representative="John SMITH")
    found = check([licence(legal_representative="ＪＯＨＮ ｓｍｉｔｈ")], card=card)
    assert found["licence.legal_representative"].status == "match"


def test_another_credit_code_is_a_mismatch_and_the_same_one_in_lower_case_is_not():
    assert check([licence(credit_code=OTHER_CODE)])["licence.credit_code"].status == "mismatch"
    assert check([licence(credit_code=CODE.lower())])["licence.credit_code"].status == "match"


def test_a_field_not_confirmed_or_not_on_file_gives_no_check():
    card = make_card(credit_code=None, legal_representative=None)
    found = check([licence(credit_code=CODE, legal_representative="张建华")], card=card)
    assert "licence.credit_code" not in found
    assert "licence.legal_representative" not in found
    assert "licence.name" not in check([licence(credit_code=CODE)])


LONG_NAME = "浙江省杭州市西湖区鑫源五金制品有限责任公司"


@pytest.mark.parametrize(
    ("on_licence", "on_file", "same"),
    [
        pytest.param(NAME, NAME, True, id="identical"),
        pytest.param("杭州鑫源五金制品 有限公司", NAME, True, id="spaced"),
        pytest.param("杭州鑫源五金制品（有限公司）", NAME, True, id="punctuated"),
        pytest.param(LONG_NAME.replace("品", "晶"), LONG_NAME, True, id="one-slip-in-a-long-name"),
        pytest.param(LONG_NAME.replace("源", ""), LONG_NAME, True, id="one-lost-character"),
        pytest.param("张记五金商行", "张记五金店", True, id="same-trade-name-other-form"),
        pytest.param("李记五金店", "张记五金店", False, id="another-shop"),
        pytest.param(
            LONG_NAME.replace("鑫源", "宏达"), LONG_NAME, False, id="another-trade-name-long"
        ),
        pytest.param("杭州宏达五金制品有限公司", NAME, False, id="another-trade-name"),
    ],
)
def test_names_match_through_spacing_and_one_slip_but_not_another_name(on_licence, on_file, same):
    assert same_name(on_licence, on_file) is same
    found = check([licence(name=on_licence)], card=make_card(name=on_file))
    assert found["licence.name"].status == ("match" if same else "mismatch")


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
ASCII = st.sampled_from("ABCDEFGHJKLMNPQRTUWXY0123456789abcdefghijk")


def widened(text: str, choices: list[bool], spaces: list[str]) -> str:
    """``text`` with some ASCII made full-width and spaces between characters."""
    out = []
    for ch, wide, space in zip(text, choices, spaces, strict=False):
        out.append(chr(ord(ch) + 0xFEE0) if wide and ch.isascii() else ch)
        out.append(space)
    return "".join(out)


@given(
    name=st.text(st.one_of(CJK, ASCII), min_size=1, max_size=30),
    choices=st.lists(st.booleans(), min_size=30, max_size=30),
    spaces=st.lists(st.sampled_from(["", " ", "\u3000", "  "]), min_size=30, max_size=30),
)
def test_a_name_matches_itself_however_it_is_spaced_or_widened(name, choices, spaces):
    variant = widened(name, choices, spaces)
    assert same_name(variant, name)
    assert same_name(name, variant)
    assert same_address(variant, name)


@pytest.mark.parametrize(
    "on_licence",
    [
        ADDRESS,
        "西湖区文三路123号",
        "杭州市西湖区文三路123号",
        "杭州西湖区文三路123号",
        "浙江省 杭州市 西湖区 文三路１２３号",
    ],
)
def test_an_address_with_or_without_province_and_city_is_the_same(on_licence):
    assert same_address(on_licence, ADDRESS)
    assert check([licence(address=on_licence)])["licence.address"].status == "match"


@pytest.mark.parametrize(
    "on_licence",
    ["浙江省杭州市上城区解放路88号", "浙江省杭州市西湖区文三路128号", "西湖区文三路12号"],
)
def test_another_street_or_house_number_is_another_address(on_licence):
    assert not same_address(on_licence, ADDRESS)
    assert check([licence(address=on_licence)])["licence.address"].status == "mismatch"


def test_of_two_licences_the_one_that_disagrees_is_kept():
    found = check(
        [licence(1, legal_representative="张建华"), licence(2, legal_representative="李四")]
    )["licence.legal_representative"]
    assert (found.status, found.evidence_id) == ("mismatch", 2)

    found = check(
        [licence(1, legal_representative="李四"), licence(2, legal_representative="张建华")]
    )["licence.legal_representative"]
    assert (found.status, found.evidence_id) == ("mismatch", 1)


# --- The signboard --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sign", ["鑫源五金", "鑫源五金店", "鑫源五金批发部", "鑫源", "杭州鑫源五金制品有限公司"]
)
def test_a_signboard_showing_the_trade_name_shortened_matches_the_client(sign):
    assert sign_matches(sign, NAME)
    found = check([document(3, "signboard", name=sign)])["signboard.name"]
    assert (found.status, found.document.zh, found.record.zh) == ("match", sign, NAME)


@pytest.mark.parametrize(
    ("sign", "client"),
    [
        ("老王烧烤", NAME),
        ("宏达机械", NAME),
        ("李记五金", "张记五金店"),  # the neighbour in the same trade
        ("新华五金建材", "杭州宏达五金建材有限公司"),
    ],
)
def test_an_unrelated_signboard_does_not_match(sign, client):
    assert not sign_matches(sign, client)
    found = check([document(3, "signboard", name=sign)], card=make_card(name=client))
    assert found["signboard.name"].status == "mismatch"


def test_a_signboard_matches_the_name_on_the_licence_when_the_file_has_an_old_name():
    old_card = make_card(name="张记五金店")
    documents = [licence(1, name="鑫源五金商行"), document(2, "signboard", name="鑫源五金")]

    assert check(documents, card=old_card)["signboard.name"].status == "match"
    assert check(documents[1:], card=old_card)["signboard.name"].status == "mismatch"


# --- The statements -------------------------------------------------------------------------

# Three months (91 days) of statements: 90 万元 in is about 30 万元 a month.
QUARTER = {"period_start": "2024-04-01", "period_end": "2024-06-30"}


def statement(evidence_id: int, account: str, credits: float, **period: Any) -> ReadDocument:
    fields = {"account_name": account, "credits_total": credits, **(period or QUARTER)}
    return document(evidence_id, "statement", **{k: v for k, v in fields.items() if v})


def test_three_months_of_credits_are_compared_with_a_twelfth_of_last_years_turnover():
    found = check([statement(4, NAME, 900_000.0)])["statement.inflow"]

    assert found.ratio == pytest.approx(0.30, abs=0.005)
    assert found.status is None
    assert found.evidence_id == 4
    assert "30.10 万元" in found.document.zh
    assert "100.00 万元" in found.record.zh
    assert found.record.en == "CNY 1,000,000 a month stated"


def test_two_pages_of_one_statement_count_once():
    one = check([statement(4, NAME, 900_000.0)])["statement.inflow"]
    two = check(
        [statement(4, NAME, 900_000.0), statement(5, "杭州鑫源五金制品 有限公司", 900_000.0)]
    )["statement.inflow"]
    assert two.ratio == pytest.approx(one.ratio)
    assert two.evidence_id == 4


def test_statements_of_two_accounts_add_up():
    found = check([statement(4, NAME, 900_000.0), statement(5, "张建华", 600_000.0)])
    assert found["statement.inflow"].ratio == pytest.approx(0.50, abs=0.005)


def test_the_same_account_over_two_periods_adds_up_each_per_month():
    found = check(
        [
            statement(4, NAME, 900_000.0),
            statement(5, NAME, 300_000.0, period_start="2024-06-01", period_end="2024-06-30"),
        ]
    )
    # 30.1 万元 a month on the quarter, 30.4 万元 a month on June.
    assert found["statement.inflow"].ratio == pytest.approx(0.605, abs=0.005)


@pytest.mark.parametrize(
    "period",
    [
        {"period_start": None, "period_end": None},
        {"period_start": "2024-04-01", "period_end": None},
        {"period_start": "2024-06-30", "period_end": "2024-04-01"},
    ],
    ids=["no-period", "no-end", "end-before-start"],
)
def test_a_statement_without_a_usable_period_gives_no_check(period):
    assert "statement.inflow" not in check([statement(4, NAME, 900_000.0, **period)])


def test_without_stated_turnover_there_is_no_inflow_check():
    assert "statement.inflow" not in check([statement(4, NAME, 900_000.0)], answers={})


def test_this_years_turnover_stands_in_for_last_years():
    # 2024-07-01 is day 183: about six months, so 600 万元 so far is 100 万元 a month.
    found = check([statement(4, NAME, 900_000.0)], answers={REVENUE_YEAR_TO_DATE: 6_000_000.0})
    assert found["statement.inflow"].ratio == pytest.approx(0.30, abs=0.01)


# --- The utility bills ----------------------------------------------------------------------


def bill(
    evidence_id: int,
    used: float,
    start: str,
    end: str,
    utility: str = "electricity",
    visit_date: date | None = None,
) -> ReadDocument:
    return document(
        evidence_id,
        "utility_bill",
        visit_date,
        utility=utility,
        consumption=used,
        consumption_unit="kWh" if utility == "electricity" else "t",
        period_start=start,
        period_end=end,
    )


# Earlier visits: 200 kWh a day in January 2023, 100 kWh a day in January 2024, and water.
EARLIER = [
    bill(90, 6_200.0, "2023-01-01", "2023-01-31", visit_date=date(2023, 2, 1)),
    bill(91, 3_100.0, "2024-01-01", "2024-01-31", visit_date=date(2024, 2, 1)),
    bill(92, 31.0, "2024-01-01", "2024-01-31", utility="water", visit_date=date(2024, 2, 1)),
]


def test_use_per_day_is_compared_with_the_latest_earlier_visits_bill_of_that_utility():
    # June: 1 500 kWh over 30 days, 50 a day, against 100 a day in January 2024.
    found = check([bill(5, 1_500.0, "2024-06-01", "2024-06-30")], earlier=EARLIER)
    consumption = found["utility.consumption"]

    assert consumption.ratio == pytest.approx(0.5)
    assert consumption.evidence_id == 5
    assert consumption.document.zh == "日均 50.0 kWh"
    assert consumption.record.zh == "上次回访时日均 100.0 kWh"


def test_a_water_bill_is_compared_only_with_water():
    found = check([bill(5, 15.0, "2024-06-01", "2024-06-30", utility="water")], earlier=EARLIER)
    assert found["utility.consumption"].ratio == pytest.approx(0.5)


def test_without_an_earlier_bill_of_the_same_utility_there_is_no_consumption_check():
    gas = bill(5, 100.0, "2024-06-01", "2024-06-30", utility="gas")
    assert "utility.consumption" not in check([gas], earlier=EARLIER)
    assert "utility.consumption" not in check([bill(5, 1_500.0, "2024-06-01", "2024-06-30")])


def test_of_two_bills_the_lowest_ratio_is_kept():
    bills = [
        bill(5, 2_700.0, "2024-06-01", "2024-06-30"),  # 90 a day: 0.9
        bill(6, 1_200.0, "2024-05-01", "2024-05-31"),  # about 39 a day: 0.39
    ]
    found = check(bills, earlier=EARLIER)["utility.consumption"]
    assert found.evidence_id == 6
    assert found.ratio == pytest.approx(1_200 / 31 / 100)


# --- The invoices ---------------------------------------------------------------------------


def invoice(evidence_id: int, seller: str, buyer: str = NAME, goods: str = "") -> ReadDocument:
    fields = {"seller_name": seller, "buyer_name": buyer, "goods": goods}
    return document(evidence_id, "invoice", **{k: v for k, v in fields.items() if v})


PARTNERS = {
    **STATED,
    MAIN_SUPPLIERS: "宁波钢材贸易有限公司、温州五金配件厂",
    MAIN_CUSTOMERS: "各地建材市场的经销商",
}


def test_an_invoice_from_a_supplier_the_client_named_is_related():
    found = check(
        [invoice(8, "宁波钢材贸易有限公司", goods="*五金制品*水暖配件")], answers=PARTNERS
    )
    counterparty = found["invoice.counterparty"]
    assert counterparty.status == "related"
    assert counterparty.document.zh == "宁波钢材贸易有限公司（*五金制品*水暖配件）"
    assert "宁波钢材贸易有限公司" in counterparty.record.zh


def test_an_invoice_to_a_customer_the_client_named_is_related():
    sale = invoice(8, NAME, buyer="温州五金配件厂")
    assert check([sale], answers=PARTNERS)["invoice.counterparty"].status == "related"


def test_an_invoice_for_goods_that_fit_the_loan_purpose_is_related():
    found = check([invoice(8, "马鞍山永盛贸易有限公司", goods="*黑色金属冶炼压延品*热轧钢材")])
    assert found["invoice.counterparty"].status == "related"


def test_an_invoice_that_fits_neither_partners_nor_purpose_is_unrelated():
    found = check([invoice(8, "上海美妆日化有限公司", goods="*化妆品*面霜")], answers=PARTNERS)[
        "invoice.counterparty"
    ]
    assert found.status == "unrelated"
    assert "购买钢材等原材料" in found.record.zh


def test_words_every_purchase_carries_do_not_make_an_invoice_related():
    # 采购 and 资金 are in the goods and in the purpose, and say nothing.
    card = make_card(purpose="补充流动资金，采购原材料")
    found = check([invoice(8, "上海美妆日化有限公司", goods="采购资金服务费")], card=card)
    assert found["invoice.counterparty"].status == "unrelated"


def test_an_invoice_between_the_client_and_itself_gives_no_check():
    own = invoice(8, NAME, buyer="杭州鑫源五金制品 有限公司")
    assert "invoice.counterparty" not in check([own])


def test_of_two_invoices_the_unrelated_one_is_kept():
    invoices = [
        invoice(8, "宁波钢材贸易有限公司"),
        invoice(9, "上海美妆日化有限公司", goods="*化妆品*面霜"),
        invoice(10, "温州五金配件厂"),
    ]
    found = check(invoices, answers=PARTNERS)["invoice.counterparty"]
    assert (found.status, found.evidence_id) == ("unrelated", 9)


def test_nothing_read_gives_no_checks():
    assert check([]) == {}

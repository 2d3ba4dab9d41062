"""What a visit to this client should look at: the list /prep and "该查什么" share."""

from datetime import date
from decimal import Decimal

from assistant.data.vocabulary import Bilingual
from assistant.db.models import ClientKind
from assistant.portfolio import ClientCard, CollateralView, GuarantorView, LoanView
from assistant.risk.model import Finding, Severity
from assistant.visits.focus import FocusFacts, footnotes, visit_checks


def loan(contract="HT-1", days=400, to_maturity=300, overdue=0, method="entrusted", **kw):
    return LoanView(
        contract,
        "working_capital",
        Decimal("1000000"),
        "采购原料",
        date(2025, 1, 1),
        date(2027, 1, 1),
        days,
        to_maturity,
        method,
        "normal",
        overdue,
        kw.get("guarantors", []),
        kw.get("collateral", []),
    )


def card(*loans, kind=ClientKind.CORPORATE):
    return ClientCard("C1", "某公司", kind, None, None, None, False, "张伟", None, list(loans))


def facts(**kw):
    return FocusFacts(
        due=kw.pop("due", ["periodic"]), first_check_days=30, renewal_window_days=90, **kw
    )


def finding(rule, title, severity=Severity.WARNING):
    return Finding(rule, severity, Bilingual(title, title), Bilingual("", ""), (), ())


def test_money_already_late_comes_first_then_what_is_still_open():
    checks = visit_checks(
        card(loan(overdue=12)),
        facts(open_alerts=[finding("staff_drop", "在岗人数骤减", Severity.CRITICAL)]),
    )
    assert [c.key for c in checks[:2]] == ["overdue", "open_alert"]
    assert checks[0].params["overdue"] == 12
    assert checks[1].params["critical"]


def test_a_new_and_an_old_loan_get_the_purpose_and_the_periodic_checks():
    checks = visit_checks(card(loan("NEW", days=5), loan("OLD", days=500)), facts(due=["purpose"]))
    keys = [c.key for c in checks]
    assert keys.index("purpose") < keys.index("periodic_corporate")
    assert [c.params["contract"] for c in checks if c.key == "purpose"] == ["NEW"]
    assert next(c for c in checks if c.key == "purpose").entry == "check.corporate.purpose"


def test_the_file_decides_what_is_asked_about():
    plain = [c.key for c in visit_checks(card(loan()), facts())]
    assert not {"self_payment", "guarantors", "collateral", "renewal"} & set(plain)

    secured = loan(
        method="self",
        to_maturity=40,
        guarantors=[GuarantorView("李四", ClientKind.INDIVIDUAL, "法人", None)],
        collateral=[CollateralView("厂房", None, None, None, None, "1号")],
    )
    keys = [c.key for c in visit_checks(card(secured), facts())]
    assert {"self_payment", "guarantors", "collateral", "renewal"} <= set(keys)


def test_never_more_than_eight_and_each_cites_an_entry_once():
    loans = [loan(f"N{i}", days=3, overdue=1) for i in range(6)]
    checks = visit_checks(card(*loans), facts(last_alerts=[finding("r", "库存异常")]))
    assert len(checks) == 8
    numbered, cited = footnotes(checks)
    assert len(cited) == len(set(cited))
    assert all(cited[note - 1] == check.entry for check, note in numbered)


def test_what_the_last_visit_found_is_followed_up():
    checks = visit_checks(
        card(loan()),
        facts(last_visit_on="2026-06-20", last_alerts=[finding("r", "存货与所说不符")]),
    )
    last = next(c for c in checks if c.key == "last_finding")
    assert last.params["on"] == "2026-06-20" and last.params["title"].zh == "存货与所说不符"

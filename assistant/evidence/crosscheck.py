"""What the confirmed fields of the visit's documents say against the client record and answers.

Each check gives a :class:`DocumentCheck`; the risk rules decide what is a finding (``document:``
conditions in ``knowledge/risk_rules.yaml``), so the bank sets the severities and the ratios. Only
fields the officer confirmed or typed are read: an OCR guess is never evidence on its own.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from assistant.data.vocabulary import Bilingual
from assistant.portfolio import ClientCard

# The checks, and the statuses each can have. Ratio checks carry a number instead, which the
# rules compare with a threshold.
IDENTITY_CHECKS: Mapping[str, tuple[str, ...]] = {
    "licence.credit_code": ("match", "mismatch"),
    "licence.name": ("match", "mismatch"),
    "licence.legal_representative": ("match", "mismatch"),
    "licence.address": ("match", "mismatch"),
    "signboard.name": ("match", "mismatch"),
    "invoice.counterparty": ("related", "unrelated"),
}
RATIO_CHECKS = ("statement.inflow", "utility.consumption")
CHECKS = (*IDENTITY_CHECKS, *RATIO_CHECKS)

REVENUE_LAST_YEAR = "flow.interview.revenue.last_year"
REVENUE_YEAR_TO_DATE = "flow.interview.revenue.year_to_date"
MAIN_SUPPLIERS = "flow.interview.supply_chain.main_suppliers"
MAIN_CUSTOMERS = "flow.interview.supply_chain.main_customers"

# Words every business name may carry; a signboard rarely shows them.
GENERIC_NAME_PARTS = (
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "集团",
    "公司",
    "个体工商户",
    "经营部",
    "门市部",
    "商行",
    "商店",
    "店",
    "厂",
    "演示",
    "demo",
)
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class ReadDocument:
    """One read file of a visit, with the fields the officer confirmed."""

    evidence_id: int
    doc_type: str
    title: Bilingual  # the document or photo category it was filed under
    confirmed: Mapping[str, Any]
    visit_date: date | None = None


@dataclass(frozen=True)
class DocumentCheck:
    check: str
    evidence_id: int
    title: Bilingual
    document: Bilingual  # what the document says
    record: Bilingual  # what the file, or the client, says
    status: str | None = None  # identity checks
    ratio: float | None = None  # ratio checks


def _plain(text: str) -> str:
    """Compared as written, but without width, case, spaces and punctuation differences."""
    normal = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in normal if c.isalnum())


def _core_name(text: str) -> str:
    core = _plain(text)
    for part in GENERIC_NAME_PARTS:
        core = core.replace(part, "")
    # A leading city or province (杭州, 浙江省杭州市) is not part of the trade name.
    core = re.sub(r"^(\w{2,3}省)?(\w{2,3}市)?", "", core) if len(core) > 6 else core
    return core


def _common_run(a: str, b: str) -> int:
    # What both names end with is the trade they share (五金, 餐饮), not the name: 李记五金 is
    # not 张记五金.
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    if not a or not b:
        return 0
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return match.size


def same_name(document: str, record: str) -> bool:
    """A registered name against the file: the same after spacing and width, or one OCR-sized
    slip in a long name."""
    a, b = _plain(document), _plain(record)
    if a == b:
        return True
    core_a, core_b = _core_name(document), _core_name(record)
    if core_a and core_a == core_b:
        return True
    return min(len(a), len(b)) >= 8 and SequenceMatcher(None, a, b).ratio() >= 0.92


def sign_matches(sign: str, *names: str) -> bool:
    """A signboard shows the trade name, often shortened: it matches when most of the shorter
    core name appears in the other as one run."""
    sign_core = _core_name(sign)
    for name in names:
        name_core = _core_name(name)
        shorter = min(len(sign_core), len(name_core))
        if shorter == 0:
            continue
        if sign_core in name_core or name_core in sign_core:
            return True
        if _common_run(sign_core, name_core) >= max(2, round(0.6 * shorter)):
            return True
    return False


ADDRESS_HEAD = re.compile(r"^.*?(?:自治区|省)?.*?(?:市|自治州|地区|盟)?.*?(?:区|县|旗|市)")


def same_address(document: str, record: str) -> bool:
    """Addresses are written with or without province and city: compare what follows the
    district when the whole differs."""
    a, b = _plain(document), _plain(record)
    if not a or not b:
        return False
    if a in b or b in a:
        return True
    tail_a, tail_b = ADDRESS_HEAD.sub("", a), ADDRESS_HEAD.sub("", b)
    if tail_a and tail_b and (tail_a in tail_b or tail_b in tail_a):
        return True
    # Alike as text is not enough when the numbers differ: 文三路128号 is not 文三路123号.
    same_numbers = re.findall(r"\d+", a) == re.findall(r"\d+", b)
    return same_numbers and SequenceMatcher(None, a, b).ratio() >= 0.85


def _bilingual(text: str) -> Bilingual:
    return Bilingual(text, text)


def _money(value: float) -> Bilingual:
    return Bilingual(f"{value / 10_000:,.2f} 万元", f"CNY {value:,.0f}")


def _days(start: Any, end: Any) -> int | None:
    try:
        first, last = date.fromisoformat(str(start)), date.fromisoformat(str(end))
    except ValueError:
        return None
    days = (last - first).days + 1
    return days if days > 0 else None


def _identity(
    check: str, doc: ReadDocument, field: str, record: str | None, equal: Any
) -> DocumentCheck | None:
    value = doc.confirmed.get(field)
    if not value or not record:
        return None
    status = IDENTITY_CHECKS[check][0 if equal(str(value), record) else 1]
    return DocumentCheck(
        check, doc.evidence_id, doc.title, _bilingual(str(value)), _bilingual(record), status
    )


def _licence_checks(card: ClientCard, doc: ReadDocument) -> list[DocumentCheck]:
    checks = [
        _identity(
            "licence.credit_code",
            doc,
            "credit_code",
            card.credit_code,
            lambda a, b: _plain(a) == _plain(b),
        ),
        _identity("licence.name", doc, "name", card.name, same_name),
        _identity(
            "licence.legal_representative",
            doc,
            "legal_representative",
            card.legal_representative,
            lambda a, b: _plain(a) == _plain(b),
        ),
        _identity("licence.address", doc, "address", card.address, same_address),
    ]
    return [c for c in checks if c is not None]


def _signboard_check(
    card: ClientCard, doc: ReadDocument, licence_names: Sequence[str]
) -> DocumentCheck | None:
    sign = doc.confirmed.get("name")
    if not sign:
        return None
    names = [card.name, *licence_names]
    status = "match" if sign_matches(str(sign), *names) else "mismatch"
    return DocumentCheck(
        "signboard.name",
        doc.evidence_id,
        doc.title,
        _bilingual(str(sign)),
        _bilingual(card.name),
        status,
    )


def stated_monthly_revenue(answers: Mapping[str, Any], visit_date: date) -> float | None:
    """The turnover the client stated, per month: last year's, else this year's so far."""
    last_year = answers.get(REVENUE_LAST_YEAR)
    if isinstance(last_year, int | float) and last_year > 0:
        return float(last_year) / 12
    so_far = answers.get(REVENUE_YEAR_TO_DATE)
    elapsed_months = (visit_date.timetuple().tm_yday) / DAYS_PER_MONTH
    if isinstance(so_far, int | float) and so_far > 0 and elapsed_months >= 1:
        return float(so_far) / elapsed_months
    return None


def _inflow_check(
    statements: Sequence[ReadDocument], answers: Mapping[str, Any], visit_date: date
) -> DocumentCheck | None:
    """Monthly money in on the statements against the turnover the client stated.

    Pages of one statement repeat its totals, so each account and period counts once; different
    accounts add up.
    """
    stated = stated_monthly_revenue(answers, visit_date)
    if stated is None:
        return None
    per_account: dict[tuple[str, str, str], tuple[float, ReadDocument]] = {}
    for doc in statements:
        credits = doc.confirmed.get("credits_total")
        days = _days(doc.confirmed.get("period_start"), doc.confirmed.get("period_end"))
        if not isinstance(credits, int | float) or days is None:
            continue
        key = (
            _plain(str(doc.confirmed.get("account_name") or "")),
            str(doc.confirmed.get("period_start")),
            str(doc.confirmed.get("period_end")),
        )
        monthly = float(credits) / (days / DAYS_PER_MONTH)
        if key not in per_account or monthly > per_account[key][0]:
            per_account[key] = (monthly, doc)
    if not per_account:
        return None
    inflow = sum(monthly for monthly, _ in per_account.values())
    first = min((doc for _, doc in per_account.values()), key=lambda d: d.evidence_id)
    return DocumentCheck(
        "statement.inflow",
        first.evidence_id,
        first.title,
        Bilingual(f"月均流入 {_money(inflow).zh}", f"{_money(inflow).en} a month in"),
        Bilingual(f"自述月均营业额 {_money(stated).zh}", f"{_money(stated).en} a month stated"),
        ratio=inflow / stated,
    )


def _daily_use(doc: ReadDocument) -> float | None:
    used = doc.confirmed.get("consumption")
    days = _days(doc.confirmed.get("period_start"), doc.confirmed.get("period_end"))
    if not isinstance(used, int | float) or used < 0 or days is None:
        return None
    return float(used) / days


def _consumption_check(
    bills: Sequence[ReadDocument], earlier: Sequence[ReadDocument]
) -> DocumentCheck | None:
    """Use per day on this visit's bills against the latest earlier visit's bills of the same
    utility: a sharp fall says the premises are used less."""
    worst: DocumentCheck | None = None
    for bill in bills:
        utility = bill.confirmed.get("utility")
        now = _daily_use(bill)
        if now is None or not utility:
            continue
        before = [
            (doc.visit_date or date.min, doc.evidence_id, use)
            for doc in earlier
            if doc.confirmed.get("utility") == utility and (use := _daily_use(doc))
        ]
        if not before:
            continue
        _, _, then = max(before)
        unit = str(bill.confirmed.get("consumption_unit") or "")
        check = DocumentCheck(
            "utility.consumption",
            bill.evidence_id,
            bill.title,
            Bilingual(f"日均 {now:,.1f} {unit}", f"{now:,.1f} {unit} a day"),
            Bilingual(f"上次回访时日均 {then:,.1f} {unit}", f"{then:,.1f} {unit} a day last visit"),
            ratio=now / then,
        )
        if worst is None or (check.ratio or 0) < (worst.ratio or 0):
            worst = check
    return worst


def _bigrams(text: str) -> set[str]:
    chars = [c for c in unicodedata.normalize("NFKC", text) if "\u4e00" <= c <= "\u9fff"]
    return {a + b for a, b in itertools.pairwise(chars)}


# Bigrams that say nothing about what was bought: in goods names and in purposes alike.
GENERIC_BIGRAMS = frozenset(
    {"采购", "购买", "支付", "货款", "服务", "费用", "补充", "流动", "资金"}
)


def _invoice_check(
    card: ClientCard,
    invoices: Sequence[ReadDocument],
    answers: Mapping[str, Any],
    licence_names: Sequence[str],
) -> DocumentCheck | None:
    """An invoice's other party should be a supplier or customer the client named, or what it
    sells should fit what the loan was for; one that fits neither is worth a question."""
    own_names = [card.name, *licence_names]
    partners = " ".join(str(answers.get(i) or "") for i in (MAIN_SUPPLIERS, MAIN_CUSTOMERS))
    purposes = " ".join(loan.agreed_purpose for loan in card.loans)
    purpose_grams = _bigrams(purposes) - GENERIC_BIGRAMS
    found: DocumentCheck | None = None
    for doc in invoices:
        parties = [
            str(doc.confirmed[key])
            for key in ("seller_name", "buyer_name")
            if doc.confirmed.get(key)
        ]
        others = [p for p in parties if not any(same_name(p, own) for own in own_names)]
        if not others:
            continue
        goods = str(doc.confirmed.get("goods") or "")
        named = any(sign_matches(other, partners) for other in others) if partners else False
        fits = bool((_bigrams(goods) - GENERIC_BIGRAMS) & purpose_grams)
        status = "related" if named or fits else "unrelated"
        check = DocumentCheck(
            "invoice.counterparty",
            doc.evidence_id,
            doc.title,
            _bilingual("、".join(others) + (f"（{goods}）" if goods else "")),
            Bilingual(
                f"自述上下游：{partners.strip() or '—'}；贷款用途：{purposes or '—'}",
                f"Stated partners: {partners.strip() or '—'}; loan purpose: {purposes or '—'}",
            ),
            status,
        )
        if found is None or (found.status == "related" and status == "unrelated"):
            found = check
    return found


def cross_check(
    card: ClientCard,
    answers: Mapping[str, Any],
    documents: Iterable[ReadDocument],
    *,
    visit_date: date,
    earlier: Sequence[ReadDocument] = (),
) -> dict[str, DocumentCheck]:
    """Every check the visit's read documents allow, by check id.

    Where several documents feed one check, the one that disagrees is kept: a mismatch over a
    match, the lowest ratio.
    """
    by_type: dict[str, list[ReadDocument]] = {}
    for doc in documents:
        by_type.setdefault(doc.doc_type, []).append(doc)
    licence_names = [
        str(d.confirmed["name"]) for d in by_type.get("licence", []) if d.confirmed.get("name")
    ]
    found: list[DocumentCheck] = []
    for doc in by_type.get("licence", []):
        found += _licence_checks(card, doc)
    for doc in by_type.get("signboard", []):
        if (check := _signboard_check(card, doc, licence_names)) is not None:
            found.append(check)
    optional = (
        _inflow_check(by_type.get("statement", []), answers, visit_date),
        _consumption_check(by_type.get("utility_bill", []), earlier),
        _invoice_check(card, by_type.get("invoice", []), answers, licence_names),
    )
    found += [check for check in optional if check is not None]
    result: dict[str, DocumentCheck] = {}
    for check in found:
        kept = result.get(check.check)
        if kept is None or _worse(check, kept):
            result[check.check] = check
    return result


def _worse(new: DocumentCheck, kept: DocumentCheck) -> bool:
    if new.ratio is not None and kept.ratio is not None:
        return new.ratio < kept.ratio
    statuses = IDENTITY_CHECKS.get(new.check, ())
    return bool(statuses) and new.status == statuses[1] and kept.status == statuses[0]

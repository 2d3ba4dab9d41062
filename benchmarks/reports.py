"""Report benchmark: how long the Word report and the chat preview take for a visit with photos.

    .venv/bin/python benchmarks/reports.py [--photos 20] [--runs 5]

It composes the report of a visit with the real checklist and templates, with ``--photos`` real
JPEGs of 3000×2000 pixels (smooth gradients, about what a phone camera sends), and prints the
median time to build the Word file (target ≤ 3 s), the HTML file, and the chat preview (target
≤ 50 ms), with the sizes of the files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PIL import Image

from assistant.data.checklist import AnswerType, Item, RecordedAnswer, load_checklist
from assistant.data.vocabulary import Bilingual
from assistant.db.models import AnswerStatus, ClientKind, VisitStatus
from assistant.portfolio import ClientCard, LoanView
from assistant.reports.compose import ReportComposer
from assistant.reports.labels import DEFAULT_TEMPLATES
from assistant.reports.model import ReportData, ReportFile, ReportHeader
from assistant.reports.render import render_chat, render_docx, render_html
from assistant.reports.sections import DEFAULT_PATH as SECTIONS
from assistant.risk.model import ClassSuggestion, Finding, Severity
from assistant.visits.model import Stop, VisitSummary, VisitView

SHANGHAI = ZoneInfo("Asia/Shanghai")

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def photo(path: Path, index: int) -> Path:
    """A 3000×2000 JPEG: a colour gradient that differs per photo."""
    ramp = Image.linear_gradient("L").resize((3000, 2000))
    shade = Image.new("L", (3000, 2000), (index * 37) % 256)
    Image.merge("RGB", (ramp, shade, ramp.rotate(180))).save(path, "JPEG", quality=90)
    return path


def value_for(item: Item) -> object:
    match item.type:
        case AnswerType.YES_NO:
            return False
        case AnswerType.CHOICE:
            return item.options[0].id
        case AnswerType.MONEY:
            return 250_000.0
        case AnswerType.NUMBER:
            return 35.0 if item.unit != "%" else 15.0
        case AnswerType.DATE:
            return "2026-09-30"
        case _:
            return "按约定用途用于进货，供货方为本地三家批发商，结算方式为银行转账。"


def build_report(folder: Path, photos: int) -> ReportData:
    checklist = load_checklist()
    composer = ReportComposer(checklist, SECTIONS, DEFAULT_TEMPLATES)
    loan = LoanView(
        "HT-2025-001", "personal_business", Decimal(300000), "进货周转", date(2025, 9, 1),
        date(2026, 9, 1), 182, 183, "self", "normal", 0, [], [],
    )  # fmt: skip
    card = ClientCard(
        "C001", "张记五金店", ClientKind.INDIVIDUAL, "五金零售", "浦东张江路 1 号", "浦东", True,
        "张伟", None, [loan],
    )  # fmt: skip
    products = {"personal_business"}
    items = checklist.items_for("individual", products, "periodic", {})
    answers = [
        (i, RecordedAnswer(i.id, AnswerStatus.ANSWERED, value_for(i), None, False)) for i in items
    ]
    view = VisitView(
        1, card, "periodic", VisitStatus.FINISHED, Stop("finish"), 40, 40, len(answers),
        Bilingual("完成", "Finish"), "t",
    )  # fmt: skip
    summary = VisitSummary(view, answers, [], [], {"records.enforcement": "clear"}, [], photos, 0)
    header = ReportHeader(1, card, "张伟", "periodic", NOW, NOW, NOW, 25.0, "浦东支行")
    finding = Finding(
        "demo", Severity.WARNING, Bilingual("经营下滑", "Business declining"),
        Bilingual("营业额下降三成。", "Turnover fell by a third."), (),
        (Bilingual("提高检查频率。", "Check more often."),),
    )  # fmt: skip
    suggestion = ClassSuggestion(
        "special_mention",
        Bilingual("关注", "Special mention"),
        Bilingual("经营下滑。", "Decline."),
        0,
    )
    files = [
        ReportFile(
            i,
            "photo",
            "photo.signboard",
            Bilingual("门头", "Signboard"),
            photo(folder / f"photo{i}.jpg", i),
            "image/jpeg",
            f"IMG_{i}.jpg",
            NOW,
        )
        for i in range(1, photos + 1)
    ]
    return composer.compose(
        header, summary, findings=[finding], suggestion=suggestion, files=files, overrides={},
        remarks="客户配合良好。", lang="zh", status="draft", version=1, now=NOW,
    )  # fmt: skip


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    template = DEFAULT_TEMPLATES / "report_template.docx"
    with tempfile.TemporaryDirectory() as folder:
        data = build_report(Path(folder), args.photos)
        original = sum(f.path.stat().st_size for f in data.files)
        docx = render_docx(data, template, tz=SHANGHAI)
        html = render_html(data, tz=SHANGHAI)
        chunks = render_chat(data, tz=SHANGHAI)
        word = median_seconds(lambda: render_docx(data, template, tz=SHANGHAI), args.runs)
        page = median_seconds(lambda: render_html(data, tz=SHANGHAI), args.runs)
        chat = median_seconds(lambda: render_chat(data, tz=SHANGHAI), max(args.runs, 20))
    print(f"photos: {args.photos} × 3000×2000 JPEG, {original / 1e6:.1f} MB in all")
    print(
        f"Word report: {word:.2f} s median of {args.runs} (target ≤ 3 s), {len(docx) / 1e6:.2f} MB"
    )
    print(f"HTML report: {page:.2f} s median of {args.runs}, {len(html) / 1e6:.2f} MB")
    print(f"chat preview: {chat * 1000:.1f} ms median (target ≤ 50 ms), {len(chunks)} messages")


if __name__ == "__main__":
    main()

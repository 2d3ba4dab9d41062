"""The report loop in console mode: an officer and their supervisor, one after the other at the
same terminal (`:as`), take a visit with a diversion answer to an approved, archived report."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from PIL import Image

from tests.botapi.test_console_visit import console


def test_the_report_loop_in_the_console(tmp_path: Path):
    photo = tmp_path / "shop.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 120, 40)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    script = [
        "/visit C1001",
        ":skip-until 实际用途和借款合同约定的用途一致吗",
        ":press 不一致",
        "借给亲戚交了购房首付",
        "五万",
        ":skip-until 请拍照留存",
        f":photo {photo}",
        ":press 1",
        ":skip-until 回访小结",
        ":press ✅ 确认提交",
        ":press ✅ 仍然提交",
        ":press 📝 生成报告",
        ":press ✏️ 修改叙述",
        ":press 1",
        "客户承认将五万元借给亲戚交购房首付，已要求三日内归还并提供凭证。",
        ":press 📤 提交审批",
        "借款人挪用五万元借给亲戚，经营本身正常；已要求归还，下次重点核实。",
        ":as supervisor",
        ":press ↩️ 退回",
        "请补充亲戚的姓名和归还计划。",
        ":as officer",
        ":press 💬 备注",
        "借款亲戚：张三，承诺十二月五日前归还。",
        ":press 📤 提交审批",
        ":as supervisor",
        ":press ✅ 批准",
        ":as officer",
        "/history C1001",
        ":press 1",
    ]
    out = console(tmp_path, "\n".join(script) + "\n")

    assert "已即时预警主管" in out
    assert "📨 → 王强(supervisor): 🔴" in out, "the critical alert reached the supervisor"
    assert "段落已更新" in out
    assert "已提交主管审批" in out
    assert "📨 → 王强(supervisor): 待审批" in out
    assert "📨 → 张伟(officer): ↩️ 您的报告被退回修改" in out
    assert "第 2 版" in out
    assert "📨 → 张伟(officer): ✅ 您的报告已获批准" in out
    assert "报告已批准（第 2 版）" in out

    outbox = tmp_path / "data" / "demo" / "outbox"
    reports = sorted(outbox.glob("report_C1001_*_v2.docx"))
    assert reports, f"the approved report was downloaded; outbox has {list(outbox.iterdir())}"
    document = Document(str(reports[-1]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "已要求三日内归还" in text
    assert len(document.inline_shapes) == 1

"""The supervisor's chart: this month's visit plan per officer and the team's risk distribution.

Drawn with Pillow (already a dependency) rather than a plotting library, to keep the install and the
start-up small. The labels inside the image are staff numbers, digits and short Latin words: a
server is not guaranteed a Chinese font, and a chart of empty boxes helps nobody. The message that
carries the image explains it in the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from assistant.planning.model import TeamProgress

WIDTH = 900
ROW = 34
MARGIN = 24
LABEL_WIDTH = 110
DONE = (46, 139, 87)
PLANNED = (200, 210, 220)
OVERDUE = (214, 69, 65)
TEXT = (40, 40, 40)
TIER_COLOURS = {
    "normal": (46, 139, 87),
    "special_mention": (240, 180, 40),
    "substandard": (230, 120, 40),
    "doubtful": (214, 69, 65),
    "loss": (110, 30, 30),
}
TIER_SHORT = {
    "normal": "normal",
    "special_mention": "special mention",
    "substandard": "substandard",
    "doubtful": "doubtful",
    "loss": "loss",
}


@dataclass(frozen=True)
class ProgressBar:
    label: str  # a staff number or another short Latin label
    planned: int
    done: int
    overdue: int


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def team_chart(
    title: str, bars: Sequence[ProgressBar], risk: Mapping[str, int], *, max_rows: int = 40
) -> bytes:
    """A PNG: one bar per officer (done of planned, overdue marked) and a stacked risk bar.

    Args:
        title: a short Latin title, e.g. ``"Team S2001 - 2026-11"``.
        bars: one entry per officer; more than ``max_rows`` are cut, the rest summed up.
        risk: loans per five-tier class.
    """
    shown = list(bars[:max_rows])
    if len(bars) > max_rows:
        rest = bars[max_rows:]
        shown.append(
            ProgressBar(
                f"+{len(rest)} more",
                sum(b.planned for b in rest),
                sum(b.done for b in rest),
                sum(b.overdue for b in rest),
            )
        )
    height = MARGIN * 2 + 40 + ROW * max(len(shown), 1) + 30 + 90
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN), title, fill=TEXT, font=_font(20))
    scale_max = max([b.planned for b in shown] + [1])
    bar_left = MARGIN + LABEL_WIDTH
    bar_width = WIDTH - bar_left - MARGIN - 120
    y = MARGIN + 40
    small = _font(14)
    if not shown:
        draw.text((bar_left, y + 8), "no visits planned", fill=TEXT, font=small)
        y += ROW
    for bar in shown:
        draw.text((MARGIN, y + 8), bar.label[:14], fill=TEXT, font=small)
        full = int(bar_width * bar.planned / scale_max)
        done = int(bar_width * min(bar.done, bar.planned) / scale_max)
        draw.rectangle([bar_left, y + 6, bar_left + max(full, 1), y + ROW - 8], fill=PLANNED)
        if done:
            draw.rectangle([bar_left, y + 6, bar_left + done, y + ROW - 8], fill=DONE)
        note = f"{bar.done}/{bar.planned}" + (f"  {bar.overdue} late" if bar.overdue else "")
        draw.text(
            (bar_left + full + 8, y + 8),
            note,
            fill=OVERDUE if bar.overdue else TEXT,
            font=small,
        )
        y += ROW
    y += 16
    draw.text((MARGIN, y), "Loans by five-tier class", fill=TEXT, font=_font(16))
    y += 26
    total = sum(risk.values())
    x = MARGIN
    span = WIDTH - 2 * MARGIN
    for tier, colour in TIER_COLOURS.items():
        count = risk.get(tier, 0)
        if not count or not total:
            continue
        width = max(int(span * count / total), 2)
        draw.rectangle([x, y, x + width, y + 22], fill=colour)
        x += width
    y += 30
    legend_x = MARGIN
    for tier, colour in TIER_COLOURS.items():
        label = f"{TIER_SHORT[tier]} {risk.get(tier, 0)}"
        draw.rectangle([legend_x, y + 3, legend_x + 12, y + 15], fill=colour)
        draw.text((legend_x + 16, y), label, fill=TEXT, font=small)
        legend_x += 30 + int(draw.textlength(label, font=small))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def team_progress_chart(progress: TeamProgress, team_label: str) -> bytes:
    """The chart of a supervisor's month: officers by staff number (their id without one)."""
    bars = [
        ProgressBar(o.staff_no or f"#{o.officer_id}", o.planned, o.done, o.overdue)
        for o in progress.officers
    ]
    risk = {tier.value: count for tier, count in progress.risk_distribution.items()}
    title = f"{team_label} - {progress.year:04d}-{progress.month:02d}"
    return team_chart(title, bars, risk)

"""The supervisor's chart: this month's visit plan per officer and the team's risk distribution.

Drawn with matplotlib, labelled in the reader's language: officers by name, the five tiers by
their Chinese names. The font is Noto Sans CJK SC from the ``mplfonts`` package, a dependency,
because a server is rarely given a Chinese font and a chart of empty boxes helps nobody. The
chart is read on a phone: large type, one bar per officer, the figures written beside the bars.
matplotlib is imported when a chart is drawn, not when the bot starts.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from assistant.planning.model import TeamProgress

WIDTH_IN = 7.2
DPI = 125  # 900 pixels wide: sharp on a phone, small to send
ROW_IN = 0.42
DONE = "#2e8b57"
PLANNED = "#c8d2dc"
OVERDUE = "#d64541"
TEXT = "#282828"
TIER_COLOURS = {
    "normal": "#2e8b57",
    "special_mention": "#f0b428",
    "substandard": "#e67828",
    "doubtful": "#d64541",
    "loss": "#6e1e1e",
}


@dataclass(frozen=True)
class ProgressBar:
    label: str  # the officer's name
    planned: int
    done: int
    overdue: int


@dataclass(frozen=True)
class ChartWords:
    """The chart's words in the reader's language (``team.chart`` in the messages).

    ``done`` and ``overdue`` are templates over ``{n}``; ``more`` over ``{n}`` officers cut.
    """

    title: str
    plan: str
    done: str
    overdue: str
    risk: str
    empty: str
    more: str
    tiers: Mapping[str, str]


@cache
def _font_path() -> str | None:
    """Noto Sans CJK SC as ``mplfonts`` ships it; ``None`` if the package is missing, when
    matplotlib's default font draws what it can."""
    try:
        import mplfonts
    except ImportError:
        return None
    font = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    return str(font) if font.exists() else None


def team_chart(
    words: ChartWords,
    bars: Sequence[ProgressBar],
    risk: Mapping[str, int],
    *,
    max_rows: int = 30,
) -> bytes:
    """A PNG: one bar per officer (done of planned, overdue marked) and the loans per tier.

    Args:
        words: the title and labels, in the reader's language.
        bars: one entry per officer; more than ``max_rows`` are cut, the rest summed up.
        risk: loans per five-tier class, by tier id.
    """
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server; set before pyplot is imported
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    shown = list(bars[:max_rows])
    if len(bars) > max_rows:
        rest = bars[max_rows:]
        shown.append(
            ProgressBar(
                words.more.format(n=len(rest)),
                sum(b.planned for b in rest),
                sum(b.done for b in rest),
                sum(b.overdue for b in rest),
            )
        )
    path = _font_path()
    # Named by its file: registering it with the global font manager on every chart would
    # add an entry each time a supervisor asks for /team.
    font: dict[str, Any] = (
        {"fontproperties": font_manager.FontProperties(fname=path)} if path is not None else {}
    )
    plan_height = ROW_IN * max(len(shown), 1) + 0.9
    risk_height = 2.3
    figure = Figure(figsize=(WIDTH_IN, plan_height + risk_height), dpi=DPI)
    grid = figure.add_gridspec(2, 1, height_ratios=[plan_height, risk_height], hspace=0.45)
    figure.suptitle(words.title, fontsize=15, color=TEXT, **font)
    _plan(figure.add_subplot(grid[0]), words, shown, font)
    _risk(figure.add_subplot(grid[1]), words, risk, font)
    figure.subplots_adjust(left=0.2, right=0.97, top=1 - 0.55 / (plan_height + risk_height))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def _plan(axes: Any, words: ChartWords, bars: Sequence[ProgressBar], font: dict[str, Any]) -> None:
    axes.set_title(words.plan, loc="left", fontsize=12, color=TEXT, **font)
    _plain(axes)
    if not bars:
        axes.text(0.5, 0.5, words.empty, ha="center", va="center", fontsize=12, **font)
        axes.set_yticks([])
        return
    rows = list(range(len(bars)))[::-1]  # the first officer at the top
    planned = [b.planned for b in bars]
    done = [min(b.done, b.planned) for b in bars]
    axes.barh(rows, planned, color=PLANNED, height=0.6)
    axes.barh(rows, done, color=DONE, height=0.6)
    axes.set_yticks(rows, [b.label for b in bars], fontsize=11, **font)
    axes.set_xticks([])  # the figures are written beside the bars
    scale = max([*planned, 1])
    axes.set_xlim(0, scale * 1.55)
    for row, bar in zip(rows, bars, strict=True):
        note = words.done.format(n=bar.done, of=bar.planned)
        axes.text(bar.planned + scale * 0.02, row, note, va="center", fontsize=10, **font)
        if bar.overdue:
            axes.text(
                bar.planned + scale * 0.3,
                row,
                words.overdue.format(n=bar.overdue),
                va="center",
                fontsize=10,
                color=OVERDUE,
                **font,
            )


def _risk(axes: Any, words: ChartWords, risk: Mapping[str, int], font: dict[str, Any]) -> None:
    axes.set_title(words.risk, loc="left", fontsize=12, color=TEXT, **font)
    _plain(axes)
    tiers = list(TIER_COLOURS)
    counts = [risk.get(tier, 0) for tier in tiers]
    places = range(len(tiers))
    axes.bar(places, counts, color=[TIER_COLOURS[t] for t in tiers], width=0.6)
    axes.set_xticks(list(places), [words.tiers[t] for t in tiers], fontsize=11, **font)
    axes.set_yticks([])
    axes.set_ylim(0, max([*counts, 1]) * 1.3)
    for place, count in zip(places, counts, strict=True):
        axes.text(place, count, str(count), ha="center", va="bottom", fontsize=11, color=TEXT)


def _plain(axes: Any) -> None:
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="x", length=0)


def team_progress_chart(progress: TeamProgress, words: ChartWords) -> bytes:
    """The chart of a supervisor's month: officers by name."""
    bars = [ProgressBar(o.name, o.planned, o.done, o.overdue) for o in progress.officers]
    risk = {tier.value: count for tier, count in progress.risk_distribution.items()}
    return team_chart(words, bars, risk)

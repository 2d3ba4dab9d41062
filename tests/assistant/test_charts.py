"""The supervisor's chart is a real PNG that grows with the team and stays readable when large."""

import io

from PIL import Image

from assistant.charts import ProgressBar, team_chart


def test_a_chart_per_officer_with_the_risk_distribution():
    png = team_chart(
        "Team S2001 - 2026-11",
        [ProgressBar("E1001", 12, 7, 2), ProgressBar("E1002", 9, 9, 0)],
        {"normal": 40, "special_mention": 5},
    )
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 900
    # The done share of E1001's bar is green, the rest of the plan grey.
    assert image.getpixel((140, 24 + 40 + 17)) == (46, 139, 87)


def test_a_large_team_is_cut_to_a_readable_height():
    bars = [ProgressBar(f"E{n:04d}", 5, 1, 0) for n in range(300)]
    tall = Image.open(io.BytesIO(team_chart("T", bars, {}, max_rows=40)))
    short = Image.open(io.BytesIO(team_chart("T", bars[:10], {}, max_rows=40)))
    assert tall.height < 41 * 34 + 300 and tall.height > short.height


def test_an_empty_plan_still_draws():
    image = Image.open(io.BytesIO(team_chart("T", [], {})))
    assert image.height > 100

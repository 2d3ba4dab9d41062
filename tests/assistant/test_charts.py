"""The supervisor's chart is a real PNG, labelled in the reader's language (officers by name, the
five tiers by their Chinese names, in a CJK font shipped with the bot), that grows with the team
and stays readable when large."""

import io

from PIL import Image

from assistant.charts import DONE, ChartWords, ProgressBar, _font_path, team_chart

WORDS = ChartWords(
    title="团队 S2001 · 2026年11月回访计划",
    plan="本月计划完成情况（户）",
    done="完成 {n}/{of}",
    overdue="超期 {n}",
    risk="团队贷款五级分类（笔）",
    empty="本月没有计划的回访",
    more="其余 {n} 人",
    tiers={
        "normal": "正常",
        "special_mention": "关注",
        "substandard": "次级",
        "doubtful": "可疑",
        "loss": "损失",
    },
)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_a_chart_per_officer_with_the_risk_distribution():
    png = team_chart(
        WORDS,
        [ProgressBar("张伟", 12, 7, 2), ProgressBar("李娜", 9, 9, 0)],
        {"normal": 40, "special_mention": 5},
    )
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.width == 900
    colours = {colour for _, colour in image.getcolors(maxcolors=1_000_000)}
    assert rgb(DONE) in colours, "the done share of each bar is green"


def test_the_chinese_font_ships_with_the_bot():
    """Without it every Chinese label is an empty box: mplfonts is a dependency, not a test tool."""
    path = _font_path()
    assert path is not None and path.endswith("NotoSansCJKsc-Regular.otf")


def test_chinese_labels_are_drawn_as_glyphs_not_boxes():
    """The same chart with two different officers' names differs where the names are: glyphs,
    not the one 'missing' box that every unknown character would draw."""
    one = Image.open(io.BytesIO(team_chart(WORDS, [ProgressBar("张伟", 5, 1, 0)], {})))
    other = Image.open(io.BytesIO(team_chart(WORDS, [ProgressBar("李娜", 5, 1, 0)], {})))
    left = (0, 0, 170, one.height)  # the officers' names, left of the bars
    assert one.convert("L").crop(left).tobytes() != other.convert("L").crop(left).tobytes()


def test_a_large_team_is_cut_to_a_readable_height():
    bars = [ProgressBar(f"客户经理{n:03d}", 5, 1, 0) for n in range(300)]
    tall = Image.open(io.BytesIO(team_chart(WORDS, bars, {}, max_rows=30)))
    short = Image.open(io.BytesIO(team_chart(WORDS, bars[:10], {}, max_rows=30)))
    assert short.height < tall.height < 31 * 0.42 * 125 + 600


def test_an_empty_plan_still_draws():
    image = Image.open(io.BytesIO(team_chart(WORDS, [], {})))
    assert image.height > 200

"""charts: valid, accessible, escaped SVG whose shapes match the numbers."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from interviewkit.analytics.charts import bar_chart, interval_chart

NS = {"svg": "http://www.w3.org/2000/svg"}
EVIL = "<script>alert(1)</script>"


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)
    # The text is this module's own output, not untrusted input.
    return ET.fromstring(str(svg))  # noqa: S314


def texts(root: ET.Element, cls: str | None = None) -> list[str]:
    return [
        t.text or ""
        for t in root.iterfind(".//svg:text", NS)
        if cls is None or t.get("class") == cls
    ]


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iterfind(f".//svg:{tag}", NS) if e.get("class") == cls]


def alternative(root: ET.Element) -> tuple[str, str]:
    # the title and desc that aria-labelledby points at
    title_id, desc_id = root.get("aria-labelledby").split()
    title = root.find(f"svg:title[@id='{title_id}']", NS)
    desc = root.find(f"svg:desc[@id='{desc_id}']", NS)
    assert title is not None and desc is not None
    return title.text or "", desc.text or ""


SCORES = [("Score 1", 3), ("Score 2", 7), ("Score 3", 5), ("Score 4", 0)]


# --- bar_chart ---------------------------------------------------------------------------


def test_bar_chart_is_an_accessible_svg():
    root = parse(bar_chart("Score distribution", SCORES))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 360 160"
    assert root.get("font-size") == "11"
    title, desc = alternative(root)
    assert title == "Score distribution"
    assert desc == "Score 1: 3; Score 2: 7; Score 3: 5; Score 4: 0"


def test_one_bar_per_value_with_its_label_and_number():
    root = parse(bar_chart("Scores", SCORES))
    assert len(root.findall(".//svg:rect", NS)) == len(SCORES)
    assert texts(root, "chart-label") == ["Score 1", "Score 2", "Score 3", "Score 4"]
    assert texts(root, "chart-value") == ["3", "7", "5", "0"]


def test_bar_heights_are_proportional_to_values():
    root = parse(bar_chart("Scores", SCORES))
    heights = [float(r.get("height")) for r in root.iterfind(".//svg:rect", NS)]
    assert heights[0] / heights[1] == pytest.approx(3 / 7, abs=1e-3)
    assert heights[2] / heights[1] == pytest.approx(5 / 7, abs=1e-3)
    assert heights[3] == 0
    # the tallest bar fills the plot: 160 high less 18 above and 30 below
    assert heights[1] == 160 - 18 - 30


def test_bars_stand_on_one_baseline():
    root = parse(bar_chart("Scores", SCORES))
    bottoms = {float(r.get("y")) + float(r.get("height")) for r in root.iterfind(".//svg:rect", NS)}
    assert len(bottoms) == 1


def test_unit_is_printed_with_each_value():
    root = parse(bar_chart("Match", [("Ann", 75), ("Bob", 50.5)], unit="%"))
    assert texts(root, "chart-value") == ["75%", "50.5%"]
    assert alternative(root)[1] == "Ann: 75%; Bob: 50.5%"


def test_given_description_is_used():
    root = parse(bar_chart("Scores", SCORES, desc="Most candidates score 2."))
    assert alternative(root)[1] == "Most candidates score 2."


def test_bar_chart_escapes_title_and_labels():
    svg = bar_chart(EVIL, [(EVIL, 1), ("a & b", 2)])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert alternative(root)[0] == EVIL  # escaped on the way in, the same text on the way out
    assert texts(root, "chart-label") == [EVIL, "a & b"]


def test_empty_bar_chart_says_no_data():
    root = parse(bar_chart("Scores", []))
    assert root.findall(".//svg:rect", NS) == []
    assert texts(root) == ["no data"]
    assert alternative(root)[1] == "No data."


def test_all_zero_bars_draw_flat_without_dividing_by_zero():
    root = parse(bar_chart("Scores", [("a", 0), ("b", 0)]))
    assert [r.get("height") for r in root.iterfind(".//svg:rect", NS)] == ["0", "0"]


@pytest.mark.parametrize("missing", [None, math.nan, math.inf])
def test_missing_values_draw_an_empty_bar(missing):
    root = parse(bar_chart("Scores", [("a", 2), ("b", missing)]))
    rects = root.findall(".//svg:rect", NS)
    assert len(rects) == 2 and rects[1].get("height") == "0"
    assert float(rects[0].get("height")) == 160 - 18 - 30  # the real value sets the scale
    assert alternative(root)[1] == "a: 2; b: no value"


def test_negative_value_draws_no_bar_but_prints_its_number():
    root = parse(bar_chart("Offsets", [("a", 2), ("b", -1)]))
    assert root.findall(".//svg:rect", NS)[1].get("height") == "0"
    assert texts(root, "chart-value") == ["2", "-1"]


def test_ids_are_unique_per_call():
    first, second = bar_chart("Scores", SCORES), bar_chart("Scores", SCORES)
    assert parse(first).get("aria-labelledby") != parse(second).get("aria-labelledby")


@pytest.mark.parametrize(
    "svg",
    [
        lambda: bar_chart("Scores", SCORES),
        lambda: interval_chart("Offsets", [("Ann", 0.8, 0.4, 1.2)]),
    ],
)
def test_charts_are_self_contained_and_print_in_black(svg):
    text = str(svg())
    assert "script" not in text and "href" not in text and "url(" not in text
    assert "currentColor" in text


# --- interval_chart ----------------------------------------------------------------------

OFFSETS = [
    ("Ann", 0.8, 0.4, 1.2),
    ("Bob", -0.3, None, None),  # too few pairs for an interval: dot only
    ("Cy", 0.0, -0.5, 0.5),
]


def dot_x(root: ET.Element) -> list[float]:
    return [float(c.get("cx")) for c in by_class(root, "circle", "chart-dot")]


def test_interval_chart_is_an_accessible_svg():
    root = parse(interval_chart("Calibration offsets", OFFSETS))
    assert root.get("role") == "img"
    title, desc = alternative(root)
    assert title == "Calibration offsets"
    assert desc == "Ann: 0.8 (0.4 to 1.2); Bob: -0.3; Cy: 0 (-0.5 to 0.5). Reference line at 0."
    assert texts(root, "chart-label") == ["Ann", "Bob", "Cy"]


def test_a_dot_per_row_and_a_line_per_interval():
    root = parse(interval_chart("Offsets", OFFSETS))
    assert len(by_class(root, "circle", "chart-dot")) == 3
    assert len(by_class(root, "line", "chart-ci")) == 2  # Bob has no interval


def test_positions_follow_one_linear_scale():
    root = parse(interval_chart("Offsets", OFFSETS))
    ann, bob, cy = dot_x(root)
    (reference,) = by_class(root, "line", "chart-reference")
    zero = float(reference.get("x1"))
    assert cy == zero  # Cy's mean is the reference, 0
    # Ann sits 0.8 right of 0, Bob 0.3 left: distances in the ratio 0.8 : 0.3
    assert (ann - zero) / (zero - bob) == pytest.approx(0.8 / 0.3, abs=1e-3)
    ann_ci, cy_ci = by_class(root, "line", "chart-ci")
    # Cy's interval runs 0.5 each side of 0; Ann's from 0.4 to 1.2, i.e. 0.8 wide
    half = zero - float(cy_ci.get("x1"))
    assert float(cy_ci.get("x2")) - zero == pytest.approx(half, abs=0.01)
    ann_width = float(ann_ci.get("x2")) - float(ann_ci.get("x1"))
    assert ann_width == pytest.approx(half * 0.8 / 0.5, abs=0.02)


def test_axis_ticks_carry_numbers_and_cover_the_data():
    root = parse(interval_chart("Offsets", OFFSETS))
    ticks = [float(t) for t in texts(root, "chart-tick")]
    assert ticks == sorted(ticks) and 0 in ticks
    assert ticks[0] <= -0.5 and ticks[-1] >= 1.2
    assert len(ticks) >= 3


def test_fixed_range_is_kept_and_values_beyond_it_sit_on_the_edge():
    root = parse(
        interval_chart("Scores", [("a", 5.0, None, None), ("b", 1, None, None)], lo=1, hi=4)
    )
    ticks = texts(root, "chart-tick")
    assert ticks[0] == "1" and ticks[-1] == "4"
    tick_x = [float(t.get("x")) for t in by_class(root, "text", "chart-tick")]
    a, b = dot_x(root)
    assert (a, b) == (tick_x[-1], tick_x[0])
    assert by_class(root, "line", "chart-reference") == []  # 0 is off a 1-4 axis


def test_height_grows_with_the_rows():
    def height(n: int) -> float:
        return float(parse(interval_chart("x", [("r", 0.1, None, None)] * n)).get("height"))

    assert height(1) < height(2) < height(6)
    # every row adds the same height: six rows are five rows' worth more than one
    assert height(6) - height(1) == 5 * (height(2) - height(1))


def test_one_value_still_gets_an_axis():
    root = parse(interval_chart("x", [("only", 0.0, None, None)]))
    ticks = [float(t) for t in texts(root, "chart-tick")]
    assert ticks[0] < 0 < ticks[-1]


@pytest.mark.parametrize("missing", [None, math.nan])
def test_a_row_without_a_mean_says_no_data(missing):
    root = parse(interval_chart("x", [("Ann", missing, None, None), ("Bob", 0.5, 0.1, 0.9)]))
    assert len(by_class(root, "circle", "chart-dot")) == 1
    assert "no data" in texts(root, "chart-value")
    assert alternative(root)[1].startswith("Ann: no data; Bob: 0.5 (0.1 to 0.9)")


def test_a_nan_bound_draws_just_the_dot():
    root = parse(interval_chart("x", [("Ann", 0.5, math.nan, 0.9)]))
    assert by_class(root, "line", "chart-ci") == []
    assert len(by_class(root, "circle", "chart-dot")) == 1


def test_interval_chart_escapes_title_and_labels():
    svg = interval_chart(EVIL, [(EVIL, 0.5, 0.1, 0.9)])
    assert "<script>" not in svg
    root = parse(svg)
    assert alternative(root)[0] == EVIL
    assert texts(root, "chart-label") == [EVIL]


def test_empty_interval_chart_says_no_data():
    root = parse(interval_chart("Offsets", []))
    assert root.findall(".//svg:circle", NS) == []
    assert texts(root) == ["no data"]
    assert alternative(root)[1] == "No data."


def test_reversed_fixed_range_is_refused():
    with pytest.raises(ValueError):
        interval_chart("x", [("a", 1, None, None)], lo=4, hi=1)

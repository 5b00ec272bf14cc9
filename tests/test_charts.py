"""Server-rendered SVG charts: valid SVG, named and described for screen readers, figures as a table."""

import datetime
import re
import xml.etree.ElementTree as ET

from django.utils import translation

from casework import charts

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(markup: str) -> ET.Element:
    match = re.search(r"<svg\b.*?</svg>", str(markup), re.DOTALL)
    assert match, "no SVG in the markup"
    return ET.fromstring(match.group(0))  # noqa: S314 - our own markup


def figure_of(markup: str) -> ET.Element:
    """The whole <figure> parses as XML too: every tag closed, every label escaped."""
    return ET.fromstring(str(markup))  # noqa: S314 - our own markup


def named_and_described(svg: ET.Element) -> tuple[str, str]:
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return title.text, desc.text


def test_bar_chart_is_valid_svg_with_a_title_and_every_value_in_its_description():
    markup = charts.bar_chart([("Intake", 3), ("Active", 10), ("Closed", 0)], title="Caseload by status")
    svg = svg_of(markup)
    title, desc = named_and_described(svg)
    assert title == "Caseload by status"
    assert "Intake: 3" in desc and "Active: 10" in desc and "Closed: 0" in desc
    widths = [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect")]
    assert widths[1] > widths[0] > widths[2] == 0  # bars in proportion, a zero drawn as nothing


def test_bar_chart_offers_its_figures_as_a_table():
    figure = figure_of(charts.bar_chart([("Intake", 3), ("Active", 10)], title="Cases", value_header="Cases"))
    table = figure.find(".//table")
    assert table is not None
    assert [th.text for th in table.iter("th") if th.get("scope") == "col"] == ["Category", "Cases"]
    rows = [[cell.text for cell in row] for row in table.find("tbody")]
    assert rows == [["Intake", "3"], ["Active", "10"]]


def test_a_chart_without_the_table_has_only_the_svg():
    figure = figure_of(charts.bar_chart([("Intake", 3)], title="Cases", table=False))
    assert figure.find(".//table") is None and figure.find(f"{SVG}svg") is not None


def test_labels_are_escaped():
    markup = charts.bar_chart([('<script>alert("x")</script> & co', 1)], title="<b>Title</b>")
    assert "<script>" not in str(markup) and "<b>" not in str(markup)
    svg = svg_of(markup)
    assert named_and_described(svg)[0] == "<b>Title</b>"
    assert '<script>alert("x")</script> & co' in [text.text for text in svg.iter(f"{SVG}text")]


def test_an_empty_bar_chart_still_draws_and_says_so():
    svg = svg_of(charts.bar_chart([], title="Nothing"))
    assert "no figures" in named_and_described(svg)[1]


def test_coordinates_use_a_dot_in_any_language():
    with translation.override("ru"):
        markup = charts.bar_chart([("a", 1), ("b", 3)], title="t")
        line = charts.line_chart(
            {"a": [(datetime.date(2024, 1, 1), 2), (datetime.date(2024, 2, 7), 3)]}, title="t"
        )
    for svg in (svg_of(markup), svg_of(line)):
        assert "," not in svg.get("viewBox")
        for rect in svg.iter(f"{SVG}rect"):
            float(rect.get("width"))


def test_two_charts_on_one_page_have_different_ids():
    first = svg_of(charts.bar_chart([("a", 1)], title="Services"))
    second = svg_of(charts.bar_chart([("a", 2)], title="Services"))
    assert first.find(f"{SVG}title").get("id") != second.find(f"{SVG}title").get("id")


def test_line_chart_draws_each_series_with_its_points_and_describes_them():
    day = datetime.date
    markup = charts.line_chart(
        {
            "Health": [(day(2024, 3, 1), 4), (day(2024, 1, 1), 2)],
            "Housing": [(day(2024, 1, 1), 3), (day(2024, 3, 1), None)],
        },
        title="Scores over time",
    )
    svg = svg_of(markup)
    title, desc = named_and_described(svg)
    assert title == "Scores over time"
    assert "Scale 1 to 5." in desc
    assert "Health: 2 (2024-01-01), 4 (2024-03-01)" in desc  # in date order, whatever order given
    assert "Housing: 3 (2024-01-01)" in desc and "Housing: 3 (2024-01-01), " not in desc  # no score, no point
    polylines = list(svg.iter(f"{SVG}polyline"))
    assert len(polylines) == 1  # Housing has a single point: a marker, no line
    (x1, y1), (x2, y2) = (tuple(map(float, p.split(","))) for p in polylines[0].get("points").split())
    assert x2 > x1 and y2 < y1  # later and higher: 2 → 4
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert {"Health", "Housing", "2024-01-01", "2024-03-01", "1", "5"} <= set(texts)


def test_line_chart_table_has_a_row_per_date_and_a_column_per_series():
    day = datetime.date
    figure = figure_of(
        charts.line_chart(
            {"Health": [(day(2024, 1, 1), 2), (day(2024, 3, 1), 4)], "Housing": [(day(2024, 1, 1), 3)]},
            title="Scores",
        )
    )
    table = figure.find(".//table")
    assert [th.text for th in table.find("thead").iter("th")] == ["Date", "Health", "Housing"]
    rows = [[cell.text for cell in row] for row in table.find("tbody")]
    assert rows == [["2024-01-01", "2", "3"], ["2024-03-01", "4", "—"]]


def test_line_chart_keeps_values_on_its_scale_and_handles_a_single_date():
    svg = svg_of(charts.line_chart({"Health": [(datetime.date(2024, 1, 1), 9)]}, title="One day", y_max=5))
    marker = next(svg.iter(f"{SVG}circle"))
    top_line = min(float(line.get("y1")) for line in svg.iter(f"{SVG}line"))
    assert float(marker.get("cy")) == top_line  # 9 is drawn at 5, the top of the scale


def test_line_chart_without_points_says_there_is_nothing_yet():
    markup = charts.line_chart({"Health": [(datetime.date(2024, 1, 1), None)]}, title="Scores")
    svg = svg_of(markup)
    assert "No figures yet." in named_and_described(svg)[1]
    assert figure_of(markup).find(".//table") is None


def test_charts_carry_no_style_attributes_or_scripts():
    markup = str(
        charts.line_chart({"a": [(datetime.date(2024, 1, 1), 2), (datetime.date(2024, 6, 1), 3)]}, title="t")
    ) + str(charts.bar_chart([("a", 1)], title="t"))
    assert "style=" not in markup and "<script" not in markup

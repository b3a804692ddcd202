"""The inline SVG bar chart: nothing drawn for no data, labels on both axes, escaped."""

from __future__ import annotations

from xml.etree import ElementTree

from bantin.web.svgcharts import bar_chart

AXES = ("Tháng", "Số bài")


def test_no_data_is_a_sentence_not_an_empty_chart() -> None:
    assert str(bar_chart("T", [], [], AXES, "chưa có dữ liệu")) == (
        '<p class="chart-empty">chưa có dữ liệu</p>'
    )
    assert "<svg" not in bar_chart("T", ["01", "02"], [0, 0], AXES, "chưa có dữ liệu")


def test_one_value_is_one_bar_with_its_number_and_axis_labels() -> None:
    svg = str(bar_chart("BAOVL 2026", ["12"], [7], AXES, "-"))
    doc = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(doc.findall(f"{ns}rect")) == 1
    texts = [t.text for t in doc.findall(f"{ns}text")]
    assert "7" in texts and "Tháng" in texts and "Số bài" in texts and "12" in texts


def test_titles_and_labels_are_escaped() -> None:
    svg = str(bar_chart("<script>x</script>", ['"><img>'], [1], ("<b>", "y"), "-"))
    assert "<script>" not in svg and "<img>" not in svg and "&lt;b&gt;" in svg
    ElementTree.fromstring(svg)  # still well-formed


def test_twelve_months_stay_inside_the_view_box() -> None:
    svg = str(bar_chart("T", [f"{m:02d}" for m in range(1, 13)], list(range(1, 13)), AXES, "-"))
    doc = ElementTree.fromstring(svg)
    for rect in doc.iter("{http://www.w3.org/2000/svg}rect"):
        assert float(rect.get("x", 0)) + float(rect.get("width", 0)) <= 360

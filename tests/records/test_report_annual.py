"""An agency's annual report: the official Vietnamese layout, the figures of the agency
and of the agencies it succeeds, and the fields left for the agency to write."""

from __future__ import annotations

from datetime import date
from typing import Any

from bantin.records.reports import build_annual_report, render
from tests.records.conftest import csv_rows, json_doc, pdf_text, xlsx_cover, xlsx_sheet
from tests.records.report_data import SKHCN_2025_TASK_11


def test_figures_include_the_predecessors_records(ctx_factory: Any) -> None:
    report = ctx_factory(build_annual_report, "SKHCN", 2025)
    task = next(r for r in report.table("tasks").rows if r["task"] == "1.1")
    assert {k: task[k] for k in SKHCN_2025_TASK_11} == SKHCN_2025_TASK_11
    results = " ".join(report.official.sections[0].paragraphs)
    assert "Bao gồm 5 lượt do Sở Thông tin và Truyền thông thực hiện." in results


PLAN_618 = (
    "Kế hoạch triển khai thực hiện Đề án “Nâng cao nhận thức, phổ cập kỹ năng và phát triển "
    "nguồn nhân lực Chuyển đổi số quốc gia trên địa bàn tỉnh đến năm 2025, định hướng đến năm "
    "2030” ban hành kèm theo Quyết định số 618/QĐ-UBND ngày 30/3/2022 của Ủy ban nhân dân "
    "tỉnh Vĩnh Long"
)


def test_heading_is_the_official_one(ctx_factory: Any) -> None:
    o = ctx_factory(build_annual_report, "SGDDT", 2026).official
    assert (o.superior, o.issuer) == ("UBND TỈNH VĨNH LONG", "SỞ GIÁO DỤC VÀ ĐÀO TẠO")
    assert o.number == "Số: …/BC-SGDĐT"
    assert o.place_date == "Vĩnh Long, ngày … tháng … năm 2026"
    assert o.recipient == "Kính gửi: Sở Khoa học và Công nghệ."  # the DIC on 5/12/2026


def test_the_plan_is_named_as_its_decision_names_it(ctx_factory: Any) -> None:
    o = ctx_factory(build_annual_report, "SGDDT", 2026).official
    assert (o.doc_type, o.subject) == ("BÁO CÁO", f"Kết quả thực hiện năm 2026 {PLAN_618}")


def test_the_commune_collective_heading_is_a_form_each_commune_completes(
    ctx_factory: Any,
) -> None:
    o = ctx_factory(build_annual_report, "COMMUNES", 2026).official
    assert (o.superior, o.issuer) == (None, "ỦY BAN NHÂN DÂN\nXÃ (PHƯỜNG) ……………")
    assert o.number == "Số: …/BC-UBND"


def test_a_department_names_its_superior_and_the_dic_reports_to_the_province(
    ctx_factory: Any,
) -> None:
    o = ctx_factory(build_annual_report, "SKHCN", 2026, date(2026, 12, 2)).official
    assert (o.superior, o.issuer) == ("UBND TỈNH VĨNH LONG", "SỞ KHOA HỌC VÀ CÔNG NGHỆ")
    assert o.place_date == "Vĩnh Long, ngày 02 tháng 12 năm 2026"  # Decree 30: two digits
    assert o.recipient == "Kính gửi: Ủy ban nhân dân tỉnh Vĩnh Long."


def test_difficulties_and_proposals_are_left_to_fill(ctx_factory: Any) -> None:
    sections = ctx_factory(build_annual_report, "COMMUNES", 2026).official.sections
    fill = {s.heading: s.fill_lines for s in sections}
    assert fill["IV. KHÓ KHĂN, VƯỚNG MẮC"] > 0 and fill["V. ĐỀ XUẤT, KIẾN NGHỊ"] > 0


def test_coverage_of_its_loudspeaker_bulletins_is_reported(ctx_factory: Any) -> None:
    paragraphs = ctx_factory(build_annual_report, "COMMUNES", 2026).official.sections[0].paragraphs
    assert "bản tin đã phát tới 3/124 xã, phường; 2/124 xã, phường xác nhận đã phát" in " ".join(
        paragraphs
    )


def test_tasks_without_records_ask_the_agency_for_results(ctx_factory: Any) -> None:
    report = ctx_factory(build_annual_report, "COMMUNES", 2026)
    tasks = {r["task"]: r for r in report.table("tasks").rows}
    assert set(tasks) == {"1.3", "3.1a", "3.1b"}  # via DISTRICTS, the plan's lead
    assert tasks["3.1b"]["planned"] == 0
    assert "đơn vị bổ sung kết quả thực hiện" in " ".join(report.official.sections[0].paragraphs)


def test_indicators_it_reported_are_listed(ctx_factory: Any) -> None:
    rows = ctx_factory(build_annual_report, "SKHCN", 2025).table("indicators").rows
    assert [(r["objective"], r["value"]) for r in rows] == [("officials-trained", 95.0)]


def test_pdf_renders_the_official_text(ctx_factory: Any) -> None:
    text = pdf_text(render(ctx_factory(build_annual_report, "SKHCN", 2025), "pdf"))
    for phrase in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "Số: …/BC-SKHCN",
        "Vĩnh Long, ngày … tháng … năm 2026",
        "BÁO CÁO",
        "Kết quả thực hiện năm 2025 Kế hoạch triển khai thực hiện Đề án",
        "ban hành kèm theo Quyết định số 618/QĐ-UBND ngày 30/3/2022 của Ủy ban nhân dân tỉnh",
        "từ ngày 1 tháng 1 năm 2025 đến ngày 31 tháng 12 năm 2025",
        "KHÓ KHĂN, VƯỚNG MẮC",
        "ĐỀ XUẤT, KIẾN NGHỊ",
        "75%",
    ):
        assert phrase in text, phrase


def test_html_has_the_figures_table_and_the_chart(ctx_factory: Any) -> None:
    html = render(ctx_factory(build_annual_report, "SKHCN", 2025), "html").decode()
    assert '<table class="data" id="table-tasks">' in html
    assert 'id="chart-months"' in html and "data:image/svg+xml;base64," in html


def test_xlsx_has_the_heading_and_the_figures(ctx_factory: Any) -> None:
    data = render(ctx_factory(build_annual_report, "SKHCN", 2025), "xlsx")
    cover = xlsx_cover(data)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cover and "V. ĐỀ XUẤT, KIẾN NGHỊ" in cover
    task = next(r for r in xlsx_sheet(data, "Nhiệm vụ") if r["Nhiệm vụ"] == "1.1")
    assert (task["Kế hoạch"], task["Đã phát hành"], task["Lỗi"]) == (8, 6, 1)


def test_csv_and_json_carry_the_same_figures(ctx_factory: Any) -> None:
    report = ctx_factory(build_annual_report, "SKHCN", 2025)
    row = next(r for r in csv_rows(render(report, "csv")) if r["Nhiệm vụ"] == "1.1")
    assert (row["Kế hoạch"], row["Trễ hạn"], row["Bỏ lỡ"]) == ("8", "1", "1")
    doc = json_doc(render(report, "json"))
    assert doc["official"]["motto"] == "Độc lập - Tự do - Hạnh phúc"
    assert [s["to_fill"] for s in doc["official"]["sections"]][-2:] == [True, True]


def test_english_on_request(ctx_factory: Any) -> None:
    o = ctx_factory(build_annual_report, "SKHCN", 2025, lang="en").official
    assert o.subject == (
        "Results in 2025 of implementing the Plan issued with Decision No. 618/QĐ-UBND of "
        "30/3/2022 of the Vĩnh Long Provincial People's Committee"
    )
    assert o.sections[-1].heading == "V. PROPOSALS"


def test_a_share_of_nothing_due_yet_is_said_in_words(report_db: Any) -> None:
    from bantin.records.reports import Context
    from bantin.records.reports.annual import _task_sentence
    from tests.records.report_data import NOW, TZ

    row = {"planned": 3, "published": 0, "late": 0, "missed": 0, "failed": 0, "unknown": 0}
    row |= {"pending": 3, "published_share": None}
    with report_db.session() as s:
        text = _task_sentence(Context(s, TZ, NOW), row, {})
    assert "(chưa có lượt nào đến hạn)" in text and "–" not in text

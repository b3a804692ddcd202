"""The reports read as Vietnamese official documents (Decree 30/2020/NĐ-CP): a Times New
Roman-metric serif with every Vietnamese letter, embedded; a 13–14 pt body; nothing
outside the page; a total row once; no chart without figures; no internal code word."""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

import pdfplumber
import pytest
from fontTools.ttLib import TTFont
from openpyxl import load_workbook
from pypdf import PdfReader

from bantin.records.reports import (
    Report,
    build_annual_report,
    build_coverage_report,
    build_output_report,
    build_progress_report,
    render,
)
from bantin.records.reports.document import Column, Table
from bantin.records.reports.fonts import serif_faces
from tests.records.conftest import pdf_text

VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"

# What bantin says to itself and never to a Vietnamese reader: record states, objective
# and frequency codes, column keys, Python's booleans, agency codes that are English words.
INTERNAL = (
    "published_share",
    "due_local",
    "unit_name",
    "task_title",
    "not_drafted",
    "not_met",
    "no_data",
    "pending_approval",
    "yearly_or_triennial",
    "continuous",
    "officials-trained",
    "citizens-digital-services",
    "commune-network",
    "schools-stem",
    "dts-staff-trained",
    "dts-experts",
    "COMMUNES",
    "DEPARTMENTS",
    "DISTRICTS",
    "PRESS",
    "RELATED",
    "True",
    "False",
    "None",
    "percent",
)

BUILDS: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "annual": (build_annual_report, ("SKHCN", 2025)),
    "annual-communes": (build_annual_report, ("COMMUNES", 2026)),
    "progress": (build_progress_report, (2026,)),
    "coverage": (build_coverage_report, (2026,)),
    "output": (build_output_report, (2026,)),
}


def pdf_of(ctx_factory: Any, name: str) -> bytes:
    builder, args = BUILDS[name]
    return render(ctx_factory(builder, *args), "pdf")


def font_names(data: bytes) -> set[str]:
    """The base names of every font the PDF's pages use."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def words(text: str) -> set[str]:
    return set(re.findall(r"[\w-]+", text))


def test_the_serif_covers_every_vietnamese_letter() -> None:
    faces = serif_faces()
    assert set(faces) == {
        ("normal", "normal"),
        ("bold", "normal"),
        ("normal", "italic"),
        ("bold", "italic"),
    }, "install fonts-liberation2 (scripts/system-deps.sh)"
    for path in faces.values():
        cmap = TTFont(path).getBestCmap()
        missing = [ch for ch in VIETNAMESE if ord(ch) not in cmap]
        assert not missing, f"{path.name} lacks {''.join(missing)}"


@pytest.mark.parametrize("name", ["annual", "coverage"])
def test_the_pdf_embeds_liberation_serif_and_no_other_text_font(
    ctx_factory: Any, name: str
) -> None:
    names = font_names(pdf_of(ctx_factory, name))
    # weasyprint embeds subsets: "ABCDEF+Liberation-Serif-Bold"
    assert names and all("LiberationSerif" in re.sub(r"\W", "", n) for n in names), names


def test_the_body_is_set_in_13_to_14_pt(ctx_factory: Any) -> None:
    with pdfplumber.open(io.BytesIO(pdf_of(ctx_factory, "annual"))) as pdf:
        sizes = Counter(round(c["size"], 1) for page in pdf.pages for c in page.chars)
    body, _ = sizes.most_common(1)[0]
    assert 13 <= body <= 14, sizes.most_common(5)


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_nothing_lies_outside_the_page_box(ctx_factory: Any, name: str) -> None:
    with pdfplumber.open(io.BytesIO(pdf_of(ctx_factory, name))) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            w, h = float(page.width), float(page.height)
            for kind in ("chars", "rects", "lines", "curves", "images"):
                for obj in getattr(page, kind):
                    inside = (
                        obj["x0"] >= -0.5
                        and obj["x1"] <= w + 0.5
                        and obj["top"] >= -0.5
                        and obj["bottom"] <= h + 0.5
                    )
                    assert inside, f"{name} page {number}: a {kind[:-1]} outside the page"


def test_a_table_over_several_pages_has_its_total_once_at_its_end() -> None:
    rows = [{"task": f"{i}", "planned": i} for i in range(1, 121)]
    report = Report(
        kind="test",
        lang="vi",
        title="Bảng dài",
        facts=[],
        tables=[
            Table(
                "long",
                "Bảng dài",
                [Column("task", "Nhiệm vụ"), Column("planned", "Kế hoạch", "int")],
                rows,
                footer={"task": "Tổng cộng", "planned": sum(r["planned"] for r in rows)},
            )
        ],
    )
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(render(report, "pdf"))).pages]
    assert len(pages) > 2
    assert sum(p.count("Tổng cộng") for p in pages) == 1
    assert "Tổng cộng" in pages[-1] and "7.260" in pages[-1]
    assert all("Kế hoạch" in p for p in pages), "the header repeats on every page"


def test_an_agency_with_nothing_published_has_no_chart_and_says_so(ctx_factory: Any) -> None:
    report = ctx_factory(build_annual_report, "SGDDT", 2026)
    html = render(report, "html").decode()
    assert "data:image/svg+xml" not in html
    assert "Chưa có số liệu" in html
    assert "Chưa có số liệu" in pdf_text(render(report, "pdf"))
    assert not load_workbook(io.BytesIO(render(report, "xlsx"))).worksheets[0]._charts


def test_a_share_of_nothing_due_is_said_in_words(ctx_factory: Any) -> None:
    text = pdf_text(pdf_of(ctx_factory, "annual-communes"))
    assert "(–" not in text


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_the_vietnamese_pdf_has_no_internal_word(ctx_factory: Any, name: str) -> None:
    found = words(pdf_text(pdf_of(ctx_factory, name))) & set(INTERNAL)
    assert not found, f"{name}: {sorted(found)}"


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_the_vietnamese_html_has_no_internal_word(ctx_factory: Any, name: str) -> None:
    builder, args = BUILDS[name]
    html = render(ctx_factory(builder, *args), "html").decode()
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S)
    found = words(text) & set(INTERNAL)
    assert not found, f"{name}: {sorted(found)}"


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_the_vietnamese_workbook_speaks_vietnamese_with_a_native_chart(
    ctx_factory: Any, name: str
) -> None:
    builder, args = BUILDS[name]
    wb = load_workbook(io.BytesIO(render(ctx_factory(builder, *args), "xlsx")))
    text = " ".join(
        str(v)
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    found = words(text) & set(INTERNAL)
    assert not found, f"{name}: {sorted(found)}"
    for title in wb.sheetnames:
        assert len(title) <= 31 and not re.search(r"[\[\]:*?/\\]", title), title
        assert re.search(r"[àáảãạăâđêôơưÀ-ỹ]", title, re.I), f"{title!r} is not Vietnamese"
    assert sum(len(ws._charts) for ws in wb.worksheets) >= 1


def test_english_on_request_keeps_english_sheet_names(ctx_factory: Any) -> None:
    wb = load_workbook(
        io.BytesIO(render(ctx_factory(build_output_report, 2026, lang="en"), "xlsx"))
    )
    assert wb.sheetnames[:3] == ["Report", "By agency", "Detail"]

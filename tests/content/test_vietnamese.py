"""Behaviour of bantin.content.vietnamese: written dates, number readings, read-aloud."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta

import pytest
import yaml
from babel.dates import format_date as babel_format_date
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment

from bantin.content.vietnamese import (
    ABBREVIATIONS_FILE,
    FILTERS,
    count_syllables,
    decimal_words,
    digits_words,
    estimate_duration,
    format_date,
    format_datetime,
    format_time,
    load_abbreviations,
    load_document_codes,
    month_words,
    nfc,
    number_words,
    ordinal_words,
    read_aloud,
    weekday_name,
)

# --- number_words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "reading"),
    [
        (0, "không"),
        (1, "một"),
        (4, "bốn"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi bốn"),
        (25, "hai mươi lăm"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (111, "một trăm mười một"),
        (115, "một trăm mười lăm"),
        (121, "một trăm hai mươi mốt"),
        (1000, "một nghìn"),
        (1001, "một nghìn không trăm linh một"),
        (1010, "một nghìn không trăm mười"),
        (2025, "hai nghìn không trăm hai mươi lăm"),
        (21_000, "hai mươi mốt nghìn"),
        (105_000, "một trăm linh năm nghìn"),
        (1_000_000, "một triệu"),
        (1_000_500, "một triệu năm trăm"),
        (1_005_000, "một triệu không trăm linh năm nghìn"),
        (1_000_000_000, "một tỷ"),
        (1_000_000_005, "một tỷ không trăm linh năm"),
        (3_500_000_000, "ba tỷ năm trăm triệu"),
        (10**12, "một nghìn tỷ"),
    ],
)
def test_number_words_reads_standard_forms(n: int, reading: str) -> None:
    assert number_words(n) == reading


def test_number_words_reads_eleven_with_mot_not_mot_sac() -> None:
    assert number_words(11) == "mười một"
    assert "mốt" not in number_words(11)


def test_number_words_reads_final_four_as_bon_not_tu() -> None:
    assert number_words(24) == "hai mươi bốn"
    assert number_words(1024).endswith("hai mươi bốn")


def test_number_words_keeps_nam_after_linh() -> None:
    assert number_words(105) == "một trăm linh năm"


def test_number_words_uses_le_for_southern_speech() -> None:
    assert number_words(105, odd="lẻ") == "một trăm lẻ năm"
    assert number_words(2005, odd="lẻ") == "hai nghìn không trăm lẻ năm"


def test_number_words_rejects_an_unknown_odd_word() -> None:
    with pytest.raises(ValueError, match="linh"):
        number_words(105, odd="lẽ")  # type: ignore[arg-type]


def test_number_words_reads_negative_numbers_with_am() -> None:
    assert number_words(-5) == "âm năm"
    assert number_words(-2025) == "âm hai nghìn không trăm hai mươi lăm"


@pytest.mark.parametrize("value", [True, 3.0, "5", None])
def test_number_words_rejects_non_integers(value: object) -> None:
    with pytest.raises(TypeError):
        number_words(value)  # type: ignore[arg-type]


_UNITS = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "lăm": 5}
_UNITS |= {"sáu": 6, "bảy": 7, "tám": 8, "chín": 9}


def _parse_group(words: list[str]) -> int:
    """Inverse of one group ("hai trăm linh năm" → 205), written independently of the code."""
    value, digit = 0, None
    for word in words:
        if word in _UNITS:
            digit = _UNITS[word]
        elif word == "trăm":
            value += (digit or 0) * 100
            digit = None
        elif word == "mươi":
            value += (digit or 0) * 10
            digit = None
        elif word == "mười":
            value += 10
        elif word not in ("linh", "lẻ"):
            raise AssertionError(f"unexpected word {word!r}")
    return value + (digit or 0)


def _parse(words: list[str]) -> int:
    if not words:
        return 0
    if "tỷ" in words:
        i = len(words) - 1 - words[::-1].index("tỷ")
        return _parse(words[:i]) * 10**9 + _parse(words[i + 1 :])
    for scale, factor in (("triệu", 10**6), ("nghìn", 10**3)):
        if scale in words:
            i = words.index(scale)
            return _parse_group(words[:i]) * factor + _parse(words[i + 1 :])
    return _parse_group(words)


@given(st.integers(min_value=0, max_value=10**15))
def test_number_words_parses_back_to_the_same_number(n: int) -> None:
    assert _parse(number_words(n).split()) == n


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_number_words_has_no_digits_and_is_nfc(n: int) -> None:
    reading = number_words(n)
    assert not re.search(r"\d", reading)
    assert unicodedata.is_normalized("NFC", reading)


@given(st.integers(min_value=20, max_value=10**12))
def test_number_words_never_says_muoi_mot_or_muoi_nam(n: int) -> None:
    """After "mươi" a final 1 is "mốt" and a final 5 is "lăm"."""
    reading = number_words(n)
    assert not re.search(r"mươi (một|năm)\b", reading)


@given(st.integers(min_value=0, max_value=10**12))
def test_number_words_never_says_linh_lam(n: int) -> None:
    assert "linh lăm" not in number_words(n)
    assert "linh mốt" not in number_words(n)


# --- digits, decimals, ordinals, months -----------------------------------------------


def test_digits_words_reads_each_digit() -> None:
    assert digits_words("1022") == "một không hai hai"


def test_digits_words_ignores_separators() -> None:
    assert digits_words("0905.123") == "không chín không năm một hai ba"


@pytest.mark.parametrize(
    ("written", "reading"),
    [
        ("3,5", "ba phẩy năm"),
        ("0,25", "không phẩy hai mươi lăm"),
        ("0,05", "không phẩy không năm"),
        ("1.000,5", "một nghìn phẩy năm"),
        ("4.0", "bốn chấm không"),
        ("-1,5", "âm một phẩy năm"),
        ("3,14159", "ba phẩy một bốn một năm chín"),
    ],
)
def test_decimal_words_reads_the_decimal_comma(written: str, reading: str) -> None:
    assert decimal_words(written) == reading


def test_decimal_words_rejects_text_that_is_not_a_number() -> None:
    with pytest.raises(ValueError, match="not a written number"):
        decimal_words("ba phẩy năm")


def test_ordinal_words_uses_nhat_and_tu() -> None:
    assert [ordinal_words(n) for n in (1, 2, 3, 4, 5)] == ["nhất", "hai", "ba", "tư", "năm"]


def test_ordinal_words_uses_cardinals_above_four() -> None:
    assert ordinal_words(14) == "mười bốn"


def test_month_words_uses_solar_names() -> None:
    assert [month_words(m) for m in (1, 4, 10, 11, 12)] == [
        "một",
        "tư",
        "mười",
        "mười một",
        "mười hai",
    ]


def test_month_words_rejects_month_thirteen() -> None:
    with pytest.raises(ValueError):
        month_words(13)


# --- format_date, format_time, format_datetime ----------------------------------------


def test_format_date_writes_the_administrative_form() -> None:
    assert format_date(date(2022, 3, 30)) == "ngày 30 tháng 3 năm 2022"


def test_format_date_has_no_leading_zeros() -> None:
    assert format_date(date(2026, 1, 5)) == "ngày 5 tháng 1 năm 2026"


def test_format_date_with_weekday_puts_it_first() -> None:
    assert format_date(date(2022, 3, 28), weekday=True) == "thứ Hai, ngày 28 tháng 3 năm 2022"


def test_format_date_with_weekday_on_sunday_says_chu_nhat() -> None:
    assert format_date(date(2022, 4, 3), weekday=True) == "Chủ nhật, ngày 3 tháng 4 năm 2022"


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2022, 3, 28), "thứ Hai"),
        (date(2022, 3, 29), "thứ Ba"),
        (date(2022, 3, 30), "thứ Tư"),
        (date(2022, 3, 31), "thứ Năm"),
        (date(2022, 4, 1), "thứ Sáu"),
        (date(2022, 4, 2), "thứ Bảy"),
        (date(2022, 4, 3), "Chủ nhật"),
    ],
)
def test_weekday_name_is_written_as_in_a_dateline(day: date, name: str) -> None:
    assert weekday_name(day) == name


@pytest.mark.parametrize("offset", range(7))
def test_weekday_name_uses_babels_words_with_dateline_capitals(offset: int) -> None:
    """The words come from CLDR (babel); only their capitals are adjusted."""
    day = date(2022, 3, 28) + timedelta(days=offset)
    babel_name = babel_format_date(day, "EEEE", locale="vi")
    assert weekday_name(day).lower() == babel_name.lower()


def test_format_date_in_english_uses_day_month_year() -> None:
    assert format_date(date(2022, 3, 30), lang="en") == "30 March 2022"


def test_format_date_in_english_with_weekday() -> None:
    assert format_date(date(2022, 3, 30), weekday=True, lang="en") == "Wednesday, 30 March 2022"


def test_format_date_accepts_a_datetime() -> None:
    assert format_date(datetime(2022, 3, 30, 5, 30)) == "ngày 30 tháng 3 năm 2022"


def test_format_date_rejects_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang"):
        format_date(date(2022, 3, 30), lang="fr")


def test_format_time_writes_hours_and_minutes() -> None:
    assert format_time(time(5, 30)) == "5 giờ 30"


def test_format_time_drops_zero_minutes() -> None:
    assert format_time(time(17, 0)) == "17 giờ"


def test_format_time_keeps_two_digit_minutes() -> None:
    assert format_time(time(7, 5)) == "7 giờ 05"


def test_format_time_ignores_seconds() -> None:
    assert format_time(time(5, 30, 59)) == "5 giờ 30"


def test_format_time_accepts_a_datetime() -> None:
    assert format_time(datetime(2022, 3, 30, 17, 0)) == "17 giờ"


def test_format_time_in_english_is_a_24_hour_clock() -> None:
    assert format_time(time(5, 30), lang="en") == "05:30"


def test_format_datetime_puts_time_before_date() -> None:
    dt = datetime(2022, 3, 30, 5, 30)
    assert format_datetime(dt) == "5 giờ 30, ngày 30 tháng 3 năm 2022"


def test_format_datetime_with_weekday() -> None:
    dt = datetime(2022, 3, 30, 17, 0)
    assert format_datetime(dt, weekday=True) == "17 giờ, thứ Tư, ngày 30 tháng 3 năm 2022"


# --- nfc ------------------------------------------------------------------------------


def test_nfc_composes_combining_marks() -> None:
    decomposed = unicodedata.normalize("NFD", "Ủy ban nhân dân")
    assert decomposed != "Ủy ban nhân dân"
    assert nfc(decomposed) == "Ủy ban nhân dân"


# --- read_aloud -----------------------------------------------------------------------


def test_read_aloud_keeps_one_line_per_input_line() -> None:
    text = "UBND tỉnh\n\n70% hộ\n  \n05/12"
    assert read_aloud(text).split("\n") == [
        "Ủy ban nhân dân tỉnh",
        "",
        "Bảy mươi phần trăm hộ",
        "",
        "Ngày mồng năm tháng mười hai",
    ]


def test_read_aloud_accepts_windows_line_endings() -> None:
    assert read_aloud("5 xã\r\n7 phường\r\n") == "Năm xã\nBảy phường\n"


def test_read_aloud_composes_decomposed_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Thực hiện QĐ của UBND tỉnh")
    assert read_aloud(decomposed) == "Thực hiện quyết định của ủy ban nhân dân tỉnh"


def test_read_aloud_tidies_whitespace() -> None:
    assert read_aloud("  có \t 5   xã ,  70 %  ") == "có năm xã, bảy mươi phần trăm"


def test_read_aloud_leaves_abbreviations_inside_words_alone() -> None:
    assert read_aloud("mã UBNDX và xUBND") == "mã UBNDX và xUBND"


def test_read_aloud_leaves_capitalised_vietnamese_words_alone() -> None:
    heading = "AI CŨNG CÓ THỂ THAM GIA CHUYỂN ĐỔI SỐ, TU DƯỠNG, CA NGỢI"
    assert read_aloud(heading) == heading


def test_read_aloud_matches_lower_case_keys_in_any_case() -> None:
    assert read_aloud("hotline, Hotline, HOTLINE") == (
        "đường dây nóng, Đường dây nóng, Đường dây nóng"
    )


def test_read_aloud_abbreviations_argument_replaces_the_dictionary() -> None:
    assert read_aloud("UBND xã", abbreviations={}) == "UBND xã"
    assert read_aloud("BCĐ xã", abbreviations={"BCĐ": "ban chỉ đạo"}) == "Ban chỉ đạo xã"


def test_read_aloud_dictionary_can_be_extended() -> None:
    extra = {**load_abbreviations(), "HTCĐS": "hạ tầng chuyển đổi số"}
    assert read_aloud("UBND đầu tư HTCĐS", abbreviations=extra) == (
        "Ủy ban nhân dân đầu tư hạ tầng chuyển đổi số"
    )


def test_read_aloud_reads_document_codes_without_the_running_text_dictionary() -> None:
    assert read_aloud("Quyết định 618/QĐ-UBND", abbreviations={}) == (
        "Quyết định sáu trăm mười tám quyết định ủy ban nhân dân"
    )


def test_read_aloud_never_reads_a_document_slash_as_tren() -> None:
    assert "trên" not in read_aloud("Quyết định 618/QĐ-UBND")


def test_read_aloud_does_not_repeat_ngay() -> None:
    assert read_aloud("ngày 30/3/2022").count("ngày") == 1


def test_read_aloud_reads_24_7_as_a_ratio_outside_a_date() -> None:
    assert read_aloud("hỗ trợ 24/7") == "hỗ trợ hai mươi bốn trên bảy"


def test_read_aloud_reads_24_7_as_a_date_after_ngay() -> None:
    assert read_aloud("ngày 24/7") == "ngày hai mươi bốn tháng bảy"


def test_read_aloud_reads_an_impossible_date_as_a_ratio() -> None:
    assert read_aloud("đạt 45/50") == "đạt bốn mươi lăm trên năm mươi"


def test_read_aloud_reads_versions_with_cham() -> None:
    assert read_aloud("phiên bản 4.0.1") == "phiên bản bốn chấm không chấm một"


def test_read_aloud_reads_a_colon_ratio_after_ty_le() -> None:
    assert read_aloud("tỷ lệ 1:10") == "tỷ lệ một trên mười"


def test_read_aloud_reads_space_grouped_thousands() -> None:
    assert read_aloud("1 000 000 đồng") == "Một triệu đồng"


def test_read_aloud_reads_ranges_of_weekdays() -> None:
    assert read_aloud("từ thứ 2 - thứ 6") == "từ thứ hai đến thứ sáu"


def test_read_aloud_keeps_the_authors_case_for_words_at_line_start() -> None:
    assert read_aloud("ngày 5 tháng 1") == "ngày mồng năm tháng một"


def test_read_aloud_capitalises_a_figure_that_starts_a_sentence() -> None:
    assert read_aloud("Xong. 90% hồ sơ đúng hạn.") == "Xong. Chín mươi phần trăm hồ sơ đúng hạn."


_FUZZ_PIECES = st.one_of(
    st.integers(min_value=0, max_value=10**13).map(str),
    st.sampled_from(
        [
            *"0123456789.,/-\u2013:%h g'()+ \t\n",
            *("ngày", "tháng", "năm", "thứ", "quý", "lúc", "gọi", "UBND", "QĐ", "km", "ha"),
            *("đ", "IV", "XII", "I.", "TP.", "4.0", "xã", "m2", "°C", "tỷ lệ", "Chương"),
            *("https://", ".gov.vn", "KH&CN", "&", "đồng/"),
        ]
    ),
)


@given(st.lists(_FUZZ_PIECES, max_size=12).map("".join))
def test_read_aloud_spells_out_every_digit_and_keeps_lines(text: str) -> None:
    spoken = read_aloud(text)
    assert spoken.count("\n") == text.count("\n")
    assert not re.search(r"[0-9]", spoken)
    assert unicodedata.is_normalized("NFC", spoken)


@given(st.text(max_size=60))
def test_read_aloud_never_fails_on_any_text(text: str) -> None:
    spoken = read_aloud(text)
    assert spoken.count("\n") == text.count("\n")
    assert unicodedata.is_normalized("NFC", spoken)


# --- the abbreviation dictionary ------------------------------------------------------


def test_abbreviation_file_has_at_least_forty_entries() -> None:
    assert len(load_abbreviations()) >= 40


def test_abbreviation_file_is_nfc() -> None:
    text = ABBREVIATIONS_FILE.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)


def test_abbreviation_file_has_no_empty_readings() -> None:
    data = yaml.safe_load(ABBREVIATIONS_FILE.read_text(encoding="utf-8"))
    for section in ("abbreviations", "document_codes", "domain_parts"):
        assert all(str(v).strip() for v in data[section].values()), section


def test_abbreviation_file_has_no_capitalised_vietnamese_words_as_keys() -> None:
    """Headings are written in capitals: these words must never be expanded."""
    words = {"AI", "TU", "CA", "CÓ", "ĐI", "BA", "HAI", "MỘT", "NĂM", "SỐ", "XÃ", "TỔ", "ĐÓ"}
    assert not words & set(load_abbreviations())


@pytest.mark.parametrize(
    ("key", "reading"),
    [
        ("UBND", "ủy ban nhân dân"),
        ("HĐND", "hội đồng nhân dân"),
        ("CĐS", "chuyển đổi số"),
        ("STTTT", "Sở Thông tin và Truyền thông"),
        ("KH&CN", "khoa học và công nghệ"),
        ("VH-TT", "văn hóa - thông tin"),
        ("THPT", "trung học phổ thông"),
        ("STEM", "xtem"),
        ("STEAM", "xtim"),
        ("DVC", "dịch vụ công"),
        ("DVCTT", "dịch vụ công trực tuyến"),
        ("CNTT", "công nghệ thông tin"),
        ("TP.", "thành phố"),
        ("TX.", "thị xã"),
        ("QĐ", "quyết định"),
        ("TTg", "Thủ tướng"),
        ("VNeID", "vê en e ai đi"),
        ("4.0", "bốn chấm không"),
    ],
)
def test_abbreviation_file_has_the_required_entries(key: str, reading: str) -> None:
    assert load_abbreviations()[key] == reading


def test_document_codes_cover_decision_and_committee() -> None:
    codes = load_document_codes()
    assert (codes["QĐ"], codes["UBND"]) == ("quyết định", "ủy ban nhân dân")


def test_load_abbreviations_returns_a_copy() -> None:
    load_abbreviations()["UBND"] = "sai"
    assert load_abbreviations()["UBND"] == "ủy ban nhân dân"


# --- syllables and duration -----------------------------------------------------------


def test_count_syllables_counts_the_spoken_form() -> None:
    assert count_syllables("UBND tỉnh") == 5


def test_count_syllables_counts_each_syllable_of_a_hyphenated_loanword() -> None:
    assert count_syllables("5 km") == 4  # năm ki-lô-mét


def test_count_syllables_ignores_punctuation() -> None:
    assert count_syllables("Xin chào - bà con !") == 4


def test_count_syllables_of_empty_text_is_zero() -> None:
    assert count_syllables("") == 0


def test_estimate_duration_uses_the_newsreading_rate() -> None:
    text = " ".join(["xã"] * 233)
    assert estimate_duration(text) == timedelta(minutes=1)


def test_estimate_duration_accepts_another_rate() -> None:
    assert estimate_duration("một hai ba bốn", rate_spm=120.0) == timedelta(seconds=2)


def test_estimate_duration_rejects_a_zero_rate() -> None:
    with pytest.raises(ValueError, match="rate_spm"):
        estimate_duration("xã", rate_spm=0)


# --- Jinja2 filters -------------------------------------------------------------------


def test_filters_have_the_template_names() -> None:
    assert set(FILTERS) == {"ngay", "ngay_thu", "gio", "so", "doc", "nfc"}


def _render(source: str, **context: object) -> str:
    env = Environment(autoescape=False)
    env.filters.update(FILTERS)
    return env.from_string(source).render(**context)


def test_filter_ngay_writes_the_date() -> None:
    assert _render("{{ d | ngay }}", d=date(2022, 3, 30)) == "ngày 30 tháng 3 năm 2022"


def test_filter_ngay_thu_writes_the_weekday_and_date() -> None:
    assert _render("{{ d | ngay_thu }}", d=date(2022, 3, 30)) == (
        "thứ Tư, ngày 30 tháng 3 năm 2022"
    )


def test_filter_gio_writes_the_time() -> None:
    assert _render("{{ t | gio }}", t=time(5, 30)) == "5 giờ 30"


def test_filter_so_reads_a_number() -> None:
    assert _render("{{ 124 | so }} xã") == "một trăm hai mươi bốn xã"


def test_filter_so_reads_a_number_given_as_text() -> None:
    assert _render("{{ n | so }}", n="2025") == "hai nghìn không trăm hai mươi lăm"


def test_filter_doc_spells_out_a_script() -> None:
    assert _render("{{ s | doc }}", s="70% hộ dân") == "Bảy mươi phần trăm hộ dân"


def test_filter_nfc_normalises() -> None:
    decomposed = unicodedata.normalize("NFD", "Vĩnh Long")
    assert _render("{{ s | nfc }}", s=decomposed) == "Vĩnh Long"

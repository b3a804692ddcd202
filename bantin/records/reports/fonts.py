"""The reports' typeface: Liberation Serif (Debian's fonts-liberation, installed by
scripts/system-deps.sh), with the metrics of Times New Roman that Decree 30/2020/NĐ-CP
asks for and every Vietnamese letter with its tone mark."""

from __future__ import annotations

from functools import cache
from pathlib import Path

# Where Debian's fonts-liberation and other distributions put Liberation Serif.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/liberation-serif"),
    Path("/usr/share/fonts/liberation"),
    Path("/usr/local/share/fonts"),
)
SERIF = "Liberation Serif"


@cache
def serif_faces() -> dict[tuple[str, str], Path]:
    """Liberation Serif's four faces by (weight, style), where installed: Times New Roman's
    metrics and every Vietnamese letter with its tone mark (Decree 30/2020/NĐ-CP form)."""
    faces: dict[tuple[str, str], Path] = {}
    for suffix, key in (
        ("Regular", ("normal", "normal")),
        ("Bold", ("bold", "normal")),
        ("Italic", ("normal", "italic")),
        ("BoldItalic", ("bold", "italic")),
    ):
        for folder in FONT_DIRS:
            path = folder / f"LiberationSerif-{suffix}.ttf"
            if path.is_file():
                faces[key] = path
                break
    return faces

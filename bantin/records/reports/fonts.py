"""The reports' typeface: Liberation Serif 2 (Debian's fonts-liberation2, installed by
scripts/system-deps.sh), with the metrics of Times New Roman that Decree 30/2020/NĐ-CP
asks for and every Vietnamese letter with its tone mark.

Liberation Serif 1.07 (Debian's fonts-liberation) has the same family name but lacks
ơ, ư and most letters with a dot below or a hook above: a face is used only if it has
them, so a machine with both packages never embeds the old one."""

from __future__ import annotations

from functools import cache
from pathlib import Path

# Where Debian's fonts-liberation2 and other distributions put Liberation Serif.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/liberation-serif"),
    Path("/usr/share/fonts/liberation"),
    Path("/usr/local/share/fonts"),
)
SERIF = "Liberation Serif"
# Letters Liberation Serif 1.07 lacks: a face without them is not used.
PROBE = "ơưƠƯạặữốỹ"


def covers_vietnamese(path: Path) -> bool:
    """Whether the font file has a glyph for every letter of PROBE."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(path, lazy=True).getBestCmap()
    return all(ord(ch) in cmap for ch in PROBE)


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
            if path.is_file() and covers_vietnamese(path):
                faces[key] = path
                break
    return faces

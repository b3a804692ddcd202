"""`bantin read-aloud`, `bantin template check`, and how `bantin render` shows a preview."""

from __future__ import annotations

import html
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import click

from bantin.campaigns import templatecheck
from bantin.cli.app import App, cli, pass_app
from bantin.content import timing
from bantin.content.render import Rendered
from bantin.content.vietnamese.unread import unread_tokens


@cli.command("read-aloud")
@click.argument("text", required=False)
@click.option("--time", "show_time", is_flag=True, help="Also print syllables and read time.")
def read_aloud_cmd(text: str | None, show_time: bool) -> None:
    """Print the read-aloud form of TEXT (or of standard input): figures, dates, codes and
    abbreviations spelt out as the announcer must say them, one line out per line in.

    \b
    Example:
      bantin read-aloud "Ngày 30/3/2022, UBND tỉnh ban hành QĐ 618/QĐ-UBND"
      bantin read-aloud --time < kich-ban.txt
    """
    source = text if text is not None else sys.stdin.read()
    if source.endswith("\n"):
        source = source[:-1]  # the last line's newline is not a line of its own
    spoken = timing.spoken(source)
    click.echo(spoken)
    unread = unread_tokens(spoken)
    if unread:
        click.echo(unread_line(", ".join(unread)), err=True)
    if show_time:
        rate = timing.configured_rate()
        syllables = timing.spoken_syllables(spoken)
        seconds = math.ceil(timing.estimate_seconds(syllables, rate))
        click.echo(
            f"{syllables} syllables, {timing.duration_text(seconds)} at {rate:g} a minute "
            f"({timing.rate_source(rate)})",
            err=True,
        )


@cli.group("template")
def template_group() -> None:
    """Templates: check the bundled library against channels, units and slots."""


@template_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def template_check(app: App, files: tuple[Path, ...], as_json: bool) -> None:
    """Render every bundled template for every channel variant and every unit of the
    province, check each within its channel's limits, and every radio programme within
    its slot. Needs `bantin init` (the units come from the database).

    FILES are campaign files to check instead of the bundled examples.

    \b
    Example:
      bantin template check
      bantin template check campaigns/loa-moi.yaml --json
    """
    with app.session() as s:
        report = templatecheck.check(s, list(files) or None)
        s.rollback()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        for slot in report.slots:
            click.echo(str(slot))
        for source, tokens in sorted(report.unread.items()):
            click.echo(f"{source}: {unread_line(', '.join(tokens))}")
        click.echo(
            f"{len(report.templates)} templates, {len(report.campaigns)} campaigns, "
            f"{report.renders} renders: {'ok' if report.ok else 'PROBLEMS FOUND'}"
        )
    if not report.ok:
        raise SystemExit(1)


# -- previews (`bantin render`) ----------------------------------------------------------


def html_page(rendered: Rendered) -> str:
    """An article as a minimal standalone page, to open in a browser before approving it."""
    title = html.escape(rendered.title)
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<style>body{max-width:42rem;margin:2rem auto;padding:0 1rem;"
        "font:1.05rem/1.6 system-ui,sans-serif}h1{line-height:1.25}</style>\n"
        f"</head>\n<body>\n<article>\n<h1>{title}</h1>\n{rendered.body}\n</article>\n"
        "</body>\n</html>"
    )


_WORDS = {
    "measured": (
        "Thời lượng đo từ bản ghi: {shown} (ước tính {estimate}; {basis})",
        "Read time measured from the recording: {shown} (estimated {estimate}; {basis})",
    ),
    "estimated": (
        "Thời lượng ước tính: {shown} ({basis})",
        "Estimated read time: {shown} ({basis})",
    ),
    "basis": ("{n} âm tiết, {source}", "{n} syllables, {source}"),
    "fits": ("Khung giờ: ", "Slot: "),
    "misfit": ("KHÔNG VỪA KHUNG GIỜ: ", "DOES NOT FIT THE SLOT: "),
}


def timing_lines(rendered: Rendered, slot_minutes: float | None, lang: str = "vi") -> list[str]:
    """The read time of a radio script (measured when it has audio), its basis, how it
    fits its slot, and the tokens the read-aloud rules left as written; every line in one
    language (the figures are the same `timing` ones the sheet, feed and desk show)."""
    got = timing.read_seconds(rendered.meta)
    syllables = rendered.meta.get("syllables")
    if got is None or not isinstance(syllables, int):
        return []
    i = 1 if lang == "en" else 0
    seconds, measured = got
    rate = float(rendered.meta.get("read_rate_spm") or timing.configured_rate())
    basis = _WORDS["basis"][i].format(n=syllables, source=timing.rate_source(rate))
    estimate = timing.duration_text(float(rendered.meta["estimated_seconds"]))
    shown = timing.duration_text(seconds)
    line = _WORDS["measured" if measured else "estimated"][i]
    lines = [line.format(shown=shown, estimate=estimate, basis=basis)]
    fit = timing.fit_of(rendered.meta, slot_minutes) if slot_minutes is not None else None
    if fit is not None:
        lead = _WORDS["fits" if fit.fits else "misfit"][i]
        lines.append(lead + fit.describe("en" if i else "vi"))
    if rendered.meta.get("unread"):
        lines.append(unread_line(str(rendered.meta["unread"])))
    return lines


def unread_line(tokens: str) -> str:
    """Tokens left as written: a person must decide how they are read."""
    return f"Chưa đọc được, để nguyên (sửa câu hoặc thêm vào abbreviations.yaml): {tokens}"


def show_preview(
    rendered: Rendered,
    fmt: str,
    slot_minutes: float | None,
    audio_line: str | None,
    lang: str = "vi",
) -> None:
    """Print a rendered publication: text, an HTML page, or JSON."""
    if fmt == "json":
        click.echo(json.dumps(rendered.as_dict(), ensure_ascii=False, indent=2, default=str))
        return
    if fmt == "html":
        body = rendered.body if rendered.kind == "article" else _text_html(rendered.body)
        click.echo(html_page(replace(rendered, body=body)))
        return
    click.echo(f"# {rendered.title}\n")
    click.echo(rendered.body)
    if rendered.kind == "radio_script":
        click.echo("\n## " + ("Read-aloud form" if lang == "en" else "Bản đọc trên loa") + "\n")
        click.echo(str(rendered.meta.get("read_aloud", "")))
        click.echo()
        for line in timing_lines(rendered, slot_minutes, lang):
            click.echo(line)
    if audio_line:
        click.echo(audio_line)


def _text_html(text: str) -> str:
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )

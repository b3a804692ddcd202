"""The desk's composer: a one-off post typed in a form becomes an ordinary campaign file.

Pure functions only (form data -> campaign YAML text and its template files), so the
composed post goes through exactly the validation and apply path of any campaign file
(`service.apply_files`) and the CLI can read what the desk wrote. The typed text is a
campaign *variable*, never template source: `{{ ... }}` typed by a person stays text.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import yaml

from bantin.core.errors import BantinError

KINDS = ("post", "article", "radio_script")
MAX_TITLE = 300
MAX_TEXT = 60_000

#: The templates a composed campaign uses, written next to its file (one per kind). The
#: article escapes the text itself, so a portal never receives markup typed in the form.
TEMPLATES: dict[str, tuple[str, str]] = {
    "post": (
        "soan-bai.post.txt.j2",
        "{#- A one-off post from the desk's composer: the text as typed. -#}\n"
        "{% set title = vars.tieu_de %}\n"
        "{% if vars.anh is defined %}{% set image_path = vars.anh %}{% endif %}\n"
        "{{ vars.noi_dung }}\n",
    ),
    "article": (
        "soan-bai.article.html.j2",
        "{#- A one-off article from the desk's composer: a paragraph per blank line. -#}\n"
        "{% set title = vars.tieu_de %}\n"
        "{% set description = vars.noi_dung"
        ' | truncate(280, killwords=False, end="…", leeway=0) %}\n'
        "{% if vars.anh is defined %}{% set image_path = vars.anh %}{% endif %}\n"
        '{% for doan in vars.noi_dung.split("\\n\\n") %}<p>{{ doan | e }}</p>\n{% endfor %}\n',
    ),
    "radio_script": (
        "soan-bai.radio.txt.j2",
        "{#- A one-off radio script from the desk's composer: read as typed. -#}\n"
        "{% set title = vars.tieu_de %}\n"
        "{{ vars.noi_dung }}\n",
    ),
}

_WHEN_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


class ComposeError(BantinError):
    """The form cannot become a campaign: `problems` maps a form field to one sentence."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.problems.items()))


@dataclass(frozen=True)
class ComposeForm:
    """What the composer's form holds, already read from the request."""

    title: str
    text: str
    agency: str
    task: str
    kind: str
    when: str  # dd/mm/yyyy HH:MM as officials write it (or the browser's 2026-12-03T08:00)
    channels: Sequence[str] = ()
    targets: Sequence[str] = ()  # unit codes or "group:NAME" (radio), or "all"
    image: str | None = None  # a path inside the media folder (already stored)
    approval: bool = False
    slot_minutes: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


def parse_when(text: str) -> datetime:
    """`03/12/2026 08:00` (or the browser's `2026-12-03T08:00`) as a naive local time."""
    cleaned = " ".join(text.split())
    for fmt in _WHEN_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
    raise ComposeError({"when": f"thời gian {text!r} không đúng dạng dd/mm/yyyy HH:MM"})


def slug(text: str, length: int = 30) -> str:
    """ASCII words of a Vietnamese title, for a readable campaign id ("Mưa lớn" -> "mua-lon")."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = folded.encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return words[:length].rstrip("-") or "bai"


def new_id(form: ComposeForm, suffix: str | None = None) -> str:
    """`bai-20261203-0800-mua-lon-3f9a`: date, time, title and a random tail (two posts
    with one title at one time are two campaigns)."""
    when = parse_when(form.when)
    tail = suffix if suffix is not None else secrets.token_hex(2)
    return f"bai-{when:%Y%m%d-%H%M}-{slug(form.title)}-{tail}"


def _problems(form: ComposeForm) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not form.title.strip():
        problems["title"] = "hãy nhập tiêu đề"
    elif len(form.title) > MAX_TITLE:
        problems["title"] = f"tiêu đề dài quá {MAX_TITLE} ký tự"
    if not form.text.strip():
        problems["text"] = "hãy nhập nội dung"
    elif len(form.text) > MAX_TEXT:
        problems["text"] = f"nội dung dài quá {MAX_TEXT} ký tự"
    if form.kind not in KINDS:
        problems["kind"] = "hãy chọn loại bài"
    if not form.channels:
        problems["channels"] = "hãy chọn ít nhất một kênh"
    if form.kind == "radio_script" and not form.targets:
        problems["targets"] = "bản tin loa cần chọn xã, phường hoặc nhóm đơn vị"
    try:
        parse_when(form.when)
    except ComposeError as exc:
        problems.update(exc.problems)
    return problems


def spec_data(form: ComposeForm, campaign_id: str) -> dict[str, object]:
    """The campaign mapping for `form` (raises ComposeError naming each bad field)."""
    problems = _problems(form)
    if problems:
        raise ComposeError(problems)
    when = parse_when(form.when)
    variables: dict[str, object] = {"tieu_de": form.title.strip(), "noi_dung": form.text.strip()}
    if form.image:
        variables["anh"] = form.image
    data: dict[str, object] = {
        "id": campaign_id,
        "title": form.title.strip(),
        "task": form.task,
        "agency": form.agency,
        "kind": form.kind,
        "period": {"start": when.date().isoformat(), "end": when.date().isoformat()},
        "schedule": [{"at": when.strftime("%Y-%m-%dT%H:%M")}],
        "channels": list(form.channels),
        "template": TEMPLATES[form.kind][0],
        "approval": "required" if form.approval else "none",
    }
    if form.targets:
        targets = list(form.targets)
        data["targets"] = targets[0] if _one_word(targets) else targets
    if form.kind == "radio_script" and form.slot_minutes:
        data["slot_minutes"] = form.slot_minutes
    data["vars"] = variables
    return data


def _one_word(targets: list[str]) -> bool:
    """`all` and `group:NAME` are written as one word, not a list of unit codes."""
    return len(targets) == 1 and (targets[0] == "all" or targets[0].startswith("group:"))


def spec_text(form: ComposeForm, campaign_id: str) -> str:
    """The campaign file the composer writes: plain YAML a person can read and edit."""
    head = "# Bài đăng một lần, soạn trên bàn làm việc (trang Soạn bài).\n"
    body = yaml.safe_dump(
        spec_data(form, campaign_id), allow_unicode=True, sort_keys=False, width=100
    )
    return head + body


def template_files(kind: str) -> dict[str, str]:
    """The template file(s) to write next to a composed campaign of `kind`."""
    name, text = TEMPLATES[kind]
    return {name: text}


#: Which form field shows a validation issue about a campaign field.
_FIELD_OF = {
    "title": "title",
    "task": "task",
    "kind": "kind",
    "channels": "channels",
    "targets": "targets",
    "schedule": "when",
    "period": "when",
    "vars": "text",
    "template": "text",
    "slot_minutes": "slot_minutes",
    "agency": "channels",
}


def form_field(issue_field: str | None) -> str:
    """The composer field a validation issue belongs to (`schedule[0].at` -> `when`);
    `text` for what the rendered text breaks (a length limit, the radio slot)."""
    head = re.split(r"[.\[]", issue_field or "", maxsplit=1)[0]
    return _FIELD_OF.get(head, "text")

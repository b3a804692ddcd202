"""Render one publication: build the template context and run the sandboxed template.

The same function serves validation (a sample per channel and unit kind), preview
(`bantin render`), approval (rendered ahead for review) and dispatch, so what a reviewer
approves is exactly what goes out.
"""

from __future__ import annotations

import copy
import hashlib
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, TemplateError, UndefinedError

from bantin.content import timing, vietnamese
from bantin.content.budget import Budget, BudgetExceeded
from bantin.content.feedview import FeedEntries, feed_global
from bantin.content.limits import check_limits
from bantin.content.sandbox import compile_template, render_module
from bantin.content.undefined import needs, source_line

UNIT_KIND_NAMES = {"xa": "xã", "phuong": "phường", "thi_tran": "thị trấn", "dac_khu": "đặc khu"}


class RenderFailed(TemplateError):
    """Anything that went wrong while a template ran: a template error, a Python error
    (OverflowError, RecursionError, ZeroDivisionError, TypeError, …) or a broken render
    limit. One type, so every caller handles every failure the same way (validation
    reports it, dispatch fails the publication with an alert); a `TemplateError`, so the
    callers that already catch template errors need no change.

    `reason` is the cause in one line ("OverflowError: …", "render exceeded 2 s");
    `template` and `lineno` say where, when known.
    """

    def __init__(self, reason: str, template: str | None = None, lineno: int | None = None):
        self.reason = reason
        self.template = template
        self.lineno = lineno
        super().__init__(f"render failed: {reason}{self.where}")

    @property
    def where(self) -> str:
        if self.template is None:
            return ""
        line = f" line {self.lineno}" if self.lineno else ""
        return f" ({self.template}{line})"


def _template_position(
    exc: BaseException,
) -> tuple[str | None, int | None, Environment | None]:
    """The innermost template frame of `exc`'s traceback: its name, source line and
    environment (whose loader has the source)."""
    name = getattr(exc, "name", None) if isinstance(exc, TemplateError) else None
    lineno = getattr(exc, "lineno", None) if name else None
    env = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None:
            name, lineno = template.name, template.get_corresponding_lineno(tb.tb_lineno)
            env = template.environment
        tb = tb.tb_next
    return name, lineno, env


def _failed(exc: BaseException, template: str) -> RenderFailed:
    if isinstance(exc, BudgetExceeded):
        reason = str(exc)
    elif isinstance(exc, TemplateError):
        reason = f"{type(exc).__name__}: {exc.message}"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, RecursionError):
        reason = "RecursionError: a macro or include calls itself without end"
    name, lineno, env = _template_position(exc)
    if isinstance(exc, UndefinedError):
        reason = needs(exc, source_line(env, name, lineno))
    return RenderFailed(reason[:500], name or template, lineno)


MetaValue = str | int | float

_TEXT_KEYS = (
    "read_aloud",
    "unread",
    "voice",
    "jingle",
    "audio_url",
    "audio_file",
    "audio_voice",
    "image_url",
    "image_path",
    "image_alt",
    "link",
    "description",
)
_NUMBER_KEYS = ("estimated_seconds", "audio_seconds", "syllables", "slot_minutes", "read_rate_spm")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, eq=False)
class Meta(Mapping[str, MetaValue]):
    """What a render tells channels beyond title and body, typed: the keys channels and
    the radio pipeline read. Templates may still export other string or number values
    (`extra`). It is also a read-only mapping of the keys that are set, so `meta.get(k)`,
    `meta[k]`, `dict(meta)` and JSON output keep their shape; a value of the wrong type
    for a known key is kept in `extra`, never coerced."""

    read_aloud: str | None = None
    unread: str | None = None
    voice: str | None = None
    jingle: str | None = None
    audio_url: str | None = None
    audio_file: str | None = None
    audio_voice: str | None = None
    image_url: str | None = None
    image_path: str | None = None
    image_alt: str | None = None
    link: str | None = None
    description: str | None = None
    estimated_seconds: int | float | None = None
    audio_seconds: int | float | None = None
    syllables: int | float | None = None
    slot_minutes: int | float | None = None
    read_rate_spm: int | float | None = None
    extra: Mapping[str, MetaValue] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Mapping[str, Any] | None = None) -> Meta:
        """From a plain mapping (a template's exports, a test, a stored render)."""
        if isinstance(values, Meta):
            return values
        typed: dict[str, Any] = {}
        extra: dict[str, MetaValue] = {}
        for key, value in (values or {}).items():
            if value is None:
                continue
            if (key in _TEXT_KEYS and isinstance(value, str)) or (
                key in _NUMBER_KEYS and _is_number(value)
            ):
                typed[key] = value
            else:
                extra[key] = value
        return cls(**typed, extra=extra)

    def _known(self) -> dict[str, MetaValue]:
        out: dict[str, MetaValue] = {}
        for key in (*_TEXT_KEYS, *_NUMBER_KEYS):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def __getitem__(self, key: str) -> MetaValue:
        value = getattr(self, key, None) if key in _TEXT_KEYS or key in _NUMBER_KEYS else None
        return value if value is not None else self.extra[key]

    def __iter__(self) -> Iterator[str]:
        return iter({**self._known(), **self.extra})

    def __len__(self) -> int:
        return len({**self._known(), **self.extra})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Rendered:
    """What a channel receives: the text plus the facts it needs to address and file it."""

    kind: str
    title: str
    body: str
    campaign_id: str
    channel: str
    due_at: datetime
    priority: str = "normal"
    unit_code: str | None = None
    unit_name: str | None = None
    agency_code: str | None = None
    task_code: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    meta: Meta = field(default_factory=Meta)

    def __post_init__(self) -> None:
        if not isinstance(self.meta, Meta):  # a plain dict from a caller or a stored render
            object.__setattr__(self, "meta", Meta.of(self.meta))

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.body}".encode()).hexdigest()

    @property
    def due_local(self) -> datetime:
        return self.due_at.astimezone(ZoneInfo(self.timezone))

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["due_at"] = self.due_at.isoformat()
        d["meta"] = dict(self.meta)
        return d


@dataclass(frozen=True)
class RenderInput:
    """Everything a render needs, as plain values (no session: renders run in threads)."""

    campaign: dict[str, Any]
    templates: dict[str, str]
    template_name: str
    channel: dict[str, Any]
    unit: dict[str, Any] | None
    agency: dict[str, Any]
    task: dict[str, Any]
    plan: dict[str, Any]
    due_at: datetime
    timezone: ZoneInfo
    #: Entries of the feeds the templates name, prepared by `render_input` (see feedview).
    feeds: FeedEntries = field(default_factory=dict)
    #: Syllables a minute for radio timing (`BANTIN_READ_RATE_SPM`).
    read_rate_spm: float = vietnamese.NEWSREADING_RATE_SPM


_IMMUTABLE = (str, int, float, bool, type(None), datetime, date, time_of_day, Decimal)


def _own_copy(value: Any) -> Any:
    """A deep copy of plain data (dicts, lists, scalars), faster than `copy.deepcopy`,
    which it falls back to for anything else. Renders run thousands of times a pass."""
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, dict):
        return {k: _own_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_own_copy(v) for v in value]
    return copy.deepcopy(value)


def build_context(inp: RenderInput) -> dict[str, Any]:
    """The names a template sees. Every value is this render's own deep copy, so nothing a
    template does (the sandbox refuses mutation anyway) reaches the next render."""
    local = inp.due_at.astimezone(inp.timezone)
    unit = None
    if inp.unit is not None:
        kind_name = UNIT_KIND_NAMES.get(inp.unit["kind"], inp.unit["kind"])
        name = inp.unit["name"]
        short = name[len(kind_name) + 1 :] if name.lower().startswith(kind_name + " ") else name
        unit = {**inp.unit, "kind_name": kind_name, "short_name": short}
    data: dict[str, Any] = _own_copy(
        {
            "campaign": inp.campaign,
            "unit": unit,
            "agency": inp.agency,
            "task": inp.task,
            "plan": inp.plan,
            "channel": inp.channel,
        }
    )
    return {
        **data,
        "vars": data["campaign"].get("vars", {}),
        "due": local,
        "due_date": vietnamese.format_date(local.date()),
        "due_weekday_date": vietnamese.format_date(local.date(), weekday=True),
        "due_time": vietnamese.format_time(local.time()),
        "feed": feed_global(inp.feeds, local),
    }


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):  # collapse runs of blank lines
            out.append(line)
    return unicodedata.normalize("NFC", "\n".join(out))


def _run(inp: RenderInput, clock: Callable[[], float]) -> tuple[str, str, dict[str, Any]]:
    """Run the template within its budget: (body text, title, exported names)."""
    kind = inp.campaign["kind"]
    limits = Budget(kind=kind, clock=clock)
    try:
        template = compile_template(inp.templates, inp.template_name, html=kind == "article")
        text, exported = render_module(template, build_context(inp), limits)
        title = str(exported.get("title") or inp.campaign["title"])
        if len(title) + sum(len(v) for v in exported.values() if isinstance(v, str)) > (
            limits.max_bytes
        ):
            raise limits.over_size()
        return text, title, exported
    except RenderFailed:
        raise
    except (Exception, RecursionError, MemoryError) as exc:  # any failure: one error type
        raise _failed(exc, inp.template_name) from exc


def render(
    inp: RenderInput,
    *,
    limits: bool = True,
    slot: bool = True,
    clock: Callable[[], float] = time.monotonic,
) -> Rendered:
    """Render; raises `RenderFailed` for anything that goes wrong inside the template.

    The channel's length limits (`limits`) and the radio slot (`slot`) are checked here, so
    dispatch fails a publication that breaks them with the reason (a `TemplateError`);
    previews turn the checks off to show the text anyway. `clock` times the render
    (a monotonic source in seconds; tests inject one).
    """
    kind = inp.campaign["kind"]
    text, title_text, exported = _run(inp, clock)
    title = _tidy(title_text)
    meta = {k: v for k, v in exported.items() if k != "title" and isinstance(v, str | int | float)}
    # The broadcast slot travels with the text, so a channel (webhook, loudspeaker feed) can
    # tell the receiver how long it has; a template may still set its own.
    if inp.campaign.get("slot_minutes") is not None:
        meta.setdefault("slot_minutes", inp.campaign["slot_minutes"])
    body = _tidy(text)
    radio = timing.script_meta(body, inp.read_rate_spm) if kind == "radio_script" else {}
    if radio:  # the campaign's voice for this unit, and its jingle (bantin.content.audio)
        radio.update(timing.voice_meta(inp.campaign, inp.unit["code"] if inp.unit else None))
    for key, value in radio.items():  # read_aloud, estimated_seconds: for previews and feeds
        meta.setdefault(key, value)
    rendered = Rendered(
        kind=kind,
        title=title,
        body=body,
        campaign_id=inp.campaign["id"],
        channel=inp.channel["name"],
        due_at=inp.due_at,
        priority=inp.campaign.get("priority", "normal"),
        unit_code=inp.unit["code"] if inp.unit else None,
        unit_name=inp.unit["name"] if inp.unit else None,
        agency_code=inp.agency["code"],
        task_code=inp.task["code"],
        timezone=inp.timezone.key,
        meta=Meta.of(meta),
    )
    if limits:
        check_limits(rendered, inp.channel["kind"], template=inp.template_name)
    if slot and radio:
        where = f"template {inp.template_name} on channel {rendered.channel}"
        slot_minutes = inp.campaign.get("slot_minutes")
        if slot_minutes is not None:  # judged on the figure `render` and the sheet show
            timing.check_rendered(rendered.meta, where=where, slot_minutes=slot_minutes)
    return rendered

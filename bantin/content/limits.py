"""Length limits of each channel kind, declared by the channel classes (`Channel.length_limits`,
`Channel.measure`) and checked when a template is validated
and again whenever a publication is rendered.

A post that is too long is refused by the platform at 08:00 with nobody at the desk, so
the limit is checked at review (`bantin campaign validate`, `bantin template check`) and
at render, where a failure fails the publication with the reason instead of sending a
truncated text. Lengths are counted in characters (Unicode code points, NFC), as the
platforms count them.

Errors derive from jinja2's `TemplateError` on purpose: every caller of `render` already
treats a template error as "this content cannot go out" — validation reports it with the
file and line, dispatch records the publication `failed` with the message.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from jinja2 import TemplateError

if TYPE_CHECKING:
    from bantin.content.render import Rendered


class ChannelFacts(Protocol):
    """What a channel class declares about lengths (`bantin.channels.base.Channel`)."""

    length_limits: Mapping[str, int]
    limit_names: Mapping[str, str]

    @classmethod
    def measure(cls, rendered: Rendered) -> Mapping[str, int]: ...


#: Where the channel classes are found. `bantin.channels` installs it when it is imported:
#: channels build on content (`Rendered`), so content must not import them.
_kind_source: Callable[[], Mapping[str, ChannelFacts]] | None = None


def install_kind_source(source: Callable[[], Mapping[str, ChannelFacts]]) -> None:
    """Called by `bantin.channels`: channel kind -> class, read for limits and checks."""
    global _kind_source
    _kind_source = source


LIMIT_NAMES = {
    "post": "the post (first line, blank line and text)",
    "first_line": "the first line",
    "title": "the title",
    "description": "the description",
}


def _channel_kinds() -> Mapping[str, ChannelFacts]:
    if _kind_source is None:  # nobody imported bantin.channels: a programming error
        raise RuntimeError("channel kinds are not loaded: import bantin.channels first")
    return _kind_source()


def __getattr__(name: str) -> object:
    """`CHANNEL_KINDS` and `LIMITS`, read from the channel classes (their one place)."""
    if name == "CHANNEL_KINDS":
        return tuple(_channel_kinds())
    if name == "LIMITS":
        return {kind: dict(cls.length_limits) for kind, cls in _channel_kinds().items()}
    raise AttributeError(name)


class ContentRuleError(TemplateError):
    """Rendered content breaks a rule of its channel or slot (length, read time)."""


class LimitExceeded(ContentRuleError):
    """A part of the rendered text is longer than its channel allows."""


@dataclass(frozen=True)
class Measure:
    part: str
    length: int
    limit: int

    @property
    def ok(self) -> bool:
        return self.length <= self.limit


_BLOCK_END = re.compile(r"</(?:p|div|li|h[1-6]|blockquote|tr)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def plain_text(markup: str) -> str:
    """HTML as the text a reader sees (block ends as line breaks), for measuring it."""
    text = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n", markup)))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def measure(rendered: Rendered, channel_kind: str) -> list[Measure]:
    """Every limited part of `rendered` on a channel of `channel_kind`, with its length as
    that channel counts it (`Channel.measure`); nothing for a kind without limits."""
    cls = _channel_kinds().get(channel_kind)
    if cls is None or not cls.length_limits:
        return []
    lengths = cls.measure(rendered)
    return [Measure(p, lengths[p], n) for p, n in cls.length_limits.items() if p in lengths]


def check_limits(rendered: Rendered, channel_kind: str, *, template: str) -> None:
    """Raise LimitExceeded naming the template, the channel and the length."""
    over = [m for m in measure(rendered, channel_kind) if not m.ok]
    if not over:
        return
    cls = _channel_kinds().get(channel_kind)
    names = {**LIMIT_NAMES, **(cls.limit_names if cls else {})}
    what = "; ".join(
        f"{names.get(m.part, m.part)} is {m.length} characters, the limit is {m.limit}"
        for m in over
    )
    raise LimitExceeded(
        f"template {template} on channel {rendered.channel} ({channel_kind}): {what}"
    )


# -- render budgets ---------------------------------------------------------------------
# A template is code run at 05:30 with nobody watching, in a worker thread beside the
# dispatcher. Whatever it does, a render must end quickly with bounded memory: these are
# the bounds (see `bantin.content.budget`, which enforces them, and docs/content.md).

OUTPUT_BYTES: dict[str, int] = {
    # A portal article with tables and a feed digest is rarely over 200 KB of HTML.
    "article": 4 * 1024 * 1024,
    # A Facebook post is at most 63,206 characters (under 256 KB of UTF-8): twice that.
    "post": 512 * 1024,
    # A ten-minute radio script is about 10 KB; a script over 512 KB cannot be read aloud.
    "radio_script": 512 * 1024,
}
"""Bytes (UTF-8) of text a render may produce, per content kind. Output and everything the
template builds on the way (strings, macro output, set blocks) count, so memory stays
within a small multiple of this."""

DEFAULT_OUTPUT_BYTES = max(OUTPUT_BYTES.values())
"""The cap for a kind not listed (and for renders outside `render`)."""

RENDER_SECONDS = 2.0
"""Wall time of one render. Real templates render in milliseconds; a render that is still
running after two seconds is looping, and dispatch must go on to the next publication."""

RENDER_STEPS = 2_000_000
"""Steps of one render: loop iterations, items a `range()` or list repetition creates,
attribute look-ups, calls and operators. Counted, not timed, so a nested empty loop stops
at the same point on any machine (real templates take a few thousand)."""

MAX_INT_BITS = 4096
"""Largest integer (in bits, about 1,230 digits) a power or product may produce: Python
would spend minutes and gigabytes on `10 ** (10 ** 9)`; no bulletin needs more digits."""

MAX_COUNT_ARGUMENT = 100_000
"""Largest count or width a filter or string method takes (`center`, `ljust`, `batch`,
`indent`, ...): the same bound as jinja's `range`; a larger width only pads with spaces."""

MAX_TEMPLATE_BYTES = 1024 * 1024
"""Largest template file read at validation: templates are text written by people."""


def output_cap(kind: str) -> int:
    """Bytes a render of content `kind` may produce."""
    return OUTPUT_BYTES.get(kind, DEFAULT_OUTPUT_BYTES)


def size_text(n: int) -> str:
    """`512 KB`, `4 MB`: how a cap is named in a message."""
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    return f"{n // 1024} KB"

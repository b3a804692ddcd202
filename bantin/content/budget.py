"""One render's budget of time, steps and text, and the size checks the sandbox applies.

The sandbox (`bantin.content.sandbox`) calls in here wherever a template hands control
back to Python: attribute and item look-ups, calls, intercepted operators, each loop item,
each `{{ … }}` output and each chunk of the final text. The budget of the render running
in this thread (or task) is found through a context variable, so one compiled template
serves many renders, in many threads, each with its own budget.

Operations that would build something huge in one step (`10 ** 10 ** 9`, `'a' * 10 ** 9`,
`center(10 ** 9)`) are refused before they run, from the sizes of their operands: a
check afterwards would come after the machine had run out of memory.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from bantin.content import limits

CLOCK_EVERY = 32
"""The clock is read once every this many steps (a power of two): often enough to stop
within milliseconds of the deadline, rarely enough to cost nothing."""

BUILT_FACTOR = 4
"""Text a render may build, as a multiple of its output cap (see `Budget.produce`)."""

KIND_NAMES = {"article": "an article", "post": "a post", "radio_script": "a radio script"}


class BudgetExceeded(Exception):
    """A render went over one of its limits; the message says which, in one sentence.

    Not a `TemplateError`, so nothing in jinja mistakes it for an ordinary template
    error; `render` turns it into `RenderFailed`. The budget stays exceeded, so even
    code that swallowed it fails again at the next checkpoint."""


@dataclass
class Budget:
    """Time, steps and produced text of one render."""

    kind: str = ""
    clock: Callable[[], float] = time.monotonic
    seconds: float = limits.RENDER_SECONDS
    steps: int = limits.RENDER_STEPS
    max_bytes: int = field(default=0)
    used_steps: int = 0
    produced: int = 0
    started: float | None = None
    broken: str | None = None

    def __post_init__(self) -> None:
        if not self.max_bytes:
            self.max_bytes = limits.output_cap(self.kind)

    def start(self) -> None:
        self.started = self.clock()

    def fail(self, reason: str) -> BudgetExceeded:
        self.broken = self.broken or reason
        return BudgetExceeded(self.broken)

    def tick(self, n: int = 1) -> None:
        """Count `n` steps and check the time."""
        if self.broken:
            raise BudgetExceeded(self.broken)
        before = self.used_steps
        self.used_steps += n
        if self.used_steps > self.steps:
            raise self.fail(f"render took over {self.steps:,} steps (a loop that does not end?)")
        crossed = (before ^ self.used_steps) >= CLOCK_EVERY  # another CLOCK_EVERY steps
        if crossed and self.started is not None and self.clock() - self.started > self.seconds:
            raise self.fail(f"render exceeded {self.seconds:g} s")

    def over_size(self) -> BudgetExceeded:
        what = KIND_NAMES.get(self.kind, "this content")
        return self.fail(f"output over {limits.size_text(self.max_bytes)} for {what}")

    def produce(self, n: int) -> None:
        """Count `n` characters of text built (`{{ … }}` outputs, also inside macros and set
        blocks, and each loop item's literal text): at most `BUILT_FACTOR` times the cap,
        since a macro's output counts again where it is printed."""
        self.produced += n
        if self.produced > self.max_bytes * BUILT_FACTOR:
            what = KIND_NAMES.get(self.kind, "this content")
            built = limits.size_text(self.max_bytes * BUILT_FACTOR)
            raise self.fail(f"text built by the render over {built} for {what}")
        self.tick()


_current: ContextVar[Budget | None] = ContextVar("bantin_render_budget", default=None)


def current() -> Budget:
    """The running render's budget (a fresh default one outside a render, so the size
    checks still apply)."""
    return _current.get() or Budget()


@contextmanager
def active(budget: Budget) -> Iterator[Budget]:
    """Make `budget` the one the sandbox checks, for the code inside this block."""
    token = _current.set(budget)
    budget.start()
    try:
        yield budget
    finally:
        _current.reset(token)


def tick(n: int = 1) -> None:
    budget = _current.get()
    if budget is not None:
        budget.tick(n)


# -- size checks ------------------------------------------------------------------------


def sized(value: Any) -> int:
    """Length of a string or sequence (0 for anything else)."""
    return len(value) if isinstance(value, str | list | tuple | bytes) else 0


def check_size(value: Any) -> Any:
    """Refuse a string longer than the output cap; return `value`."""
    if isinstance(value, str):
        budget = current()
        if len(value) > budget.max_bytes:
            raise budget.over_size()
    return value


def check_length(n: int) -> None:
    """Refuse building a string or sequence of `n` items."""
    budget = current()
    if n > budget.max_bytes:
        raise budget.over_size()


def check_count(value: Any, what: str) -> None:
    """Refuse a width or count argument larger than `MAX_COUNT_ARGUMENT`."""
    if _is_int(value) and abs(value) > limits.MAX_COUNT_ARGUMENT:
        raise current().fail(f"{what} of {value} is larger than {limits.MAX_COUNT_ARGUMENT:,}")


def check_int_bits(bits: int, what: str) -> None:
    if bits > limits.MAX_INT_BITS:
        raise current().fail(
            f"{what} would be a number of about {bits:,} bits, over {limits.MAX_INT_BITS} bits"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_power(base: Any, exponent: Any) -> None:
    """Refuse an integer power whose result would be over `MAX_INT_BITS`."""
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        check_int_bits((abs(base).bit_length() - 1) * exponent + 1, "a power")


def check_product(left: Any, right: Any) -> None:
    """Refuse a repetition over the output cap, or a product over `MAX_INT_BITS`."""
    if _is_int(left) and _is_int(right):
        check_int_bits(left.bit_length() + right.bit_length(), "a product")
        return
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and _is_int(times):
            n = len(seq) * max(times, 0)
            check_length(n)
            if not isinstance(seq, str):
                tick(n)  # a created list can be looped over: it counts like a range


def check_sum(left: Any, right: Any) -> None:
    if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
        check_length(len(left) + len(right))


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def check_printf(fmt: Any) -> None:
    """Refuse `%` formats with a width or precision over the cap, or a `*` width."""
    if not isinstance(fmt, str):
        return
    for width, precision in _PRINTF.findall(fmt):
        for number in (width, precision):
            if number == "*":
                raise current().fail("a '*' width in a format string is not allowed")
            if number:
                check_count(int(number), "a format width")


def check_format(fmt: str) -> None:
    """Refuse `str.format` fields with a width over the cap or a nested width."""
    if "{" not in fmt:
        return
    for match in re.finditer(r"\{([^{}]*\{[^{}]*\}[^{}]*)\}", fmt):
        raise current().fail(f"a nested field {match.group(0)!r} in a format string")
    for spec in re.findall(r"\{[^{}:]*:([^{}]*)\}", fmt):
        for number in re.findall(r"\d+", spec):
            check_count(int(number), "a format width")


def check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    """Refuse a replacement whose result would be over the cap."""
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    growth = len(new) - len(old)
    if growth <= 0:
        return
    times = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    check_length(len(text) + times * growth)


def check_join(items: list[Any], sep: Any) -> None:
    total = sum(len(x) if isinstance(x, str) else 16 for x in items)
    check_length(total + max(len(items) - 1, 0) * len(str(sep)))

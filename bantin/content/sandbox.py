"""The template sandbox: jinja2's `ImmutableSandboxedEnvironment` with `StrictUndefined`,
and a budget of time, steps and text for every render.

Campaign templates are written by press agencies and reviewed like code, but they still
must not reach Python internals, nor change the data the next render sees (`vars.x.append`
is refused), nor run for ever or fill the memory: every place where a template hands
control back to Python checks the running render's budget (`bantin.content.budget`), and
every `{% for %}` loop is rewritten at parse time to count its items, so even an empty
nested loop stops. A misspelt variable must fail when the campaign is validated, not at
05:30 on a commune's loudspeaker.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import DictLoader, StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.environment import TemplateModule
from jinja2.filters import make_attrgetter
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, safe_range

from bantin.content import budget, vietnamese
from bantin.content.budget import Budget


def counted_range(*args: int) -> range:
    """`range` for templates: at most jinja's MAX_RANGE items, each counted as a step."""
    r = safe_range(*args)
    budget.tick(len(r))
    return r


def counted_loop(iterable: Iterable[Any], literal_bytes: int = 0) -> Iterator[Any]:
    """What every `{% for %}` loops over: each item is a step, and the loop body's literal
    text (`literal_bytes`, measured at parse time) counts as text produced."""
    for item in iterable:
        running = budget._current.get()
        if running is not None:
            running.tick()
            if literal_bytes:
                running.produce(literal_bytes)
        yield item


def _finalize(value: Any) -> Any:
    """Every `{{ … }}` output, also inside macros and set blocks, counts as text produced."""
    running = budget._current.get()
    if running is not None:
        running.produce(len(value) if isinstance(value, str) else 8)
    return value


def _literal_bytes(body: list[nodes.Node]) -> int:
    """Characters of literal text in a loop body (nested bodies included)."""
    return sum(len(d.data) for node in body for d in node.find_all(nodes.TemplateData))


# -- filters: checked before they build something large ---------------------------------


def _check_filter(name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """Check a filter's arguments; return replacements for materialised ones."""
    for key in ("width", "indent", "linecount", "slices"):
        if key in args and not isinstance(args[key], str):
            budget.check_count(args[key], f"{name}() {key}")
    if name == "indent" and isinstance(args.get("width"), str):
        s = str(args.get("s", ""))
        budget.check_length(len(s) + (s.count("\n") + 1) * len(args["width"]))
    elif name == "tojson" and isinstance(args.get("indent"), str):
        budget.check_length(len(args["indent"]) * 64)
    elif name == "replace":
        budget.check_replace(args.get("s"), args.get("old"), args.get("new"), args.get("count"))
    elif name == "wordwrap" and isinstance(args.get("wrapstring"), str):
        s = str(args.get("s", ""))
        lines = len(s) // max(int(args.get("width") or 1), 1) + s.count("\n") + 1
        budget.check_length(len(s) + lines * len(args["wrapstring"]))
    elif name == "join":
        items = list(args.get("value") or ())
        if args.get("attribute") is not None:
            items = list(
                map(make_attrgetter(args["eval_ctx"].environment, args["attribute"]), items)
            )
        budget.check_join(items, args.get("d", ""))
        return {"value": items, "attribute": None}
    elif name == "sum" and not isinstance(args.get("start", 0), int | float):
        items = list(args.get("iterable") or ())
        budget.check_length(sum(budget.sized(x) for x in items) + budget.sized(args["start"]))
        return {"iterable": items}
    return {}


_CHECKED_FILTERS = frozenset(
    {"center", "indent", "tojson", "batch", "slice", "replace", "wordwrap", "join", "sum"}
)
"""Filters whose arguments can make their result large (checked before they run)."""


def guarded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` with its arguments checked before (for `_CHECKED_FILTERS` and `format`) and
    its result checked after."""
    if name == "format":

        @functools.wraps(func)
        def formatted(value: Any, *args: Any, **kwargs: Any) -> Any:
            budget.tick()
            budget.check_printf(value)
            return budget.check_size(func(value, *args, **kwargs))

        return formatted
    if name not in _CHECKED_FILTERS:

        @functools.wraps(func)  # keeps jinja's pass_context / pass_eval_context marks
        def plain(*args: Any, **kwargs: Any) -> Any:
            budget.tick()
            return budget.check_size(func(*args, **kwargs))

        return plain
    signature = inspect.signature(func)

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget.tick()
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return func(*args, **kwargs)  # let the filter say what is wrong
        bound.apply_defaults()
        replaced = _check_filter(name, bound.arguments)
        if replaced:
            bound.arguments.update(replaced)
            args, kwargs = bound.args, bound.kwargs
        return budget.check_size(func(*args, **kwargs))

    return guarded


_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


class Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the render budget checked wherever it gets control."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, finalize=_finalize, **kwargs)
        self.globals["range"] = counted_range

    def guard_filters(self) -> None:
        self.filters = {n: guarded_filter(n, f) for n, f in self.filters.items()}
        self.filters["counted"] = counted_loop

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then make every `{% for %}` loop over `counted(…)` (see `counted_loop`)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            arg = nodes.Const(_literal_bytes(loop.body), lineno=loop.lineno)
            loop.iter = nodes.Filter(
                loop.iter, "counted", [arg], [], None, None, lineno=loop.lineno
            )
        return tree

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget.tick()
        if operator == "**":
            budget.check_power(left, right)
        elif operator == "*":
            budget.check_product(left, right)
        elif operator == "+":
            budget.check_sum(left, right)
        elif operator == "%" and isinstance(left, str):
            budget.check_printf(left)
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        budget.tick()
        return budget.check_size(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        budget.tick()
        return budget.check_size(super().getitem(obj, argument))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            budget.check_format(str(value.__self__))
        return wrapped

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget.tick()
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str):
            method = getattr(obj, "__name__", "")
            if method in _WIDTH_METHODS:
                for value in (*args, *kwargs.values()):
                    budget.check_count(value, f"{method}() width")
            elif method == "replace":
                budget.check_replace(owner, *args[:3])
            elif method == "join" and args:
                items = list(args[0])
                budget.check_join(items, owner)
                args = (items, *args[1:])
        result = super().call(context, obj, *args, **kwargs)
        return budget.check_size(result)


def make_environment(sources: Mapping[str, str], *, html: bool = False) -> Sandbox:
    """An environment that can load only the given template sources."""
    env = Sandbox(
        loader=DictLoader(dict(sources)),
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(vietnamese.FILTERS)
    env.guard_filters()
    return env


def referenced(source: str) -> list[str]:
    """Names of templates that `source` includes, imports or extends (constant names only)."""
    env = SandboxedEnvironment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError:
        return []
    return [name for name in meta.find_referenced_templates(ast) if name]


def feed_names(sources: Mapping[str, str]) -> frozenset[str]:
    """Names passed as a literal to `feed(…)` in any of the sources.

    Renders run in threads without a database session, so the entries a template may ask
    for are fetched beforehand (`campaigns.render_input.render_input`); this says which.
    """
    if not any("feed" in text for text in sources.values()):
        return frozenset()  # the common case, without parsing
    return _feed_names(sources_key(sources), tuple(sorted(sources.items())))


@lru_cache(maxsize=256)
def _feed_names(key: str, items: tuple[tuple[str, str], ...]) -> frozenset[str]:
    env = SandboxedEnvironment()
    found: set[str] = set()
    for _name, text in items:
        try:
            ast = env.parse(text)
        except TemplateSyntaxError:
            continue
        for call in ast.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and call.node.name == "feed"):
                continue
            first = call.args[0] if call.args else None
            first = first or next((k.value for k in call.kwargs if k.key == "name"), None)
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                found.add(first.value)
    return frozenset(found)


def sources_key(sources: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(sources[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=256)
def _compiled(key: str, name: str, html: bool, items: tuple[tuple[str, str], ...]) -> Template:
    return make_environment(dict(items), html=html).get_template(name)


def compile_template(sources: Mapping[str, str], name: str, *, html: bool = False) -> Template:
    """Compile once per distinct set of sources; the dispatcher renders thousands of times."""
    return _compiled(sources_key(sources), name, html, tuple(sorted(sources.items())))


def render_module(
    template: Template, context: dict[str, Any], limits: Budget | None = None
) -> tuple[str, dict[str, Any]]:
    """Render within `limits` (a fresh default budget if none); return the text and the
    template's exported top-level `{% set %}` names.

    The text is produced chunk by chunk (what `Template.generate` yields), each chunk
    counted against the output cap and the clock, so a render stops at the cap instead
    of building the whole text first.
    """
    running = limits or Budget()
    with budget.active(running):
        ctx = template.new_context(context)
        chunks: list[str] = []
        size = 0
        for chunk in template.root_render_func(ctx):
            size += len(chunk) if chunk.isascii() else len(chunk.encode("utf-8", "surrogatepass"))
            if size > running.max_bytes:
                raise running.over_size()
            running.tick()
            chunks.append(chunk)
        module = TemplateModule(template, ctx, chunks)
    exported = {k: v for k, v in vars(module).items() if not k.startswith("_")}
    return str(module), exported

"""The template sandbox: Jinja2 `SandboxedEnvironment` with `StrictUndefined`.

Campaign templates are written by press agencies and reviewed like code, but they still
must not reach Python internals, and a misspelt variable must fail when the campaign is
validated, not at 05:30 on a commune's loudspeaker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import DictLoader, StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from bantin.content import vietnamese


def make_environment(sources: Mapping[str, str], *, html: bool = False) -> SandboxedEnvironment:
    """An environment that can load only the given template sources."""
    env = SandboxedEnvironment(
        loader=DictLoader(dict(sources)),
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(vietnamese.FILTERS)
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
    for are fetched beforehand (`campaigns.rendering.render_input`); this says which.
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


def render_module(template: Template, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Render; return the text and the template's exported top-level `{% set %}` names."""
    module = template.make_module(context)
    exported = {k: v for k, v in vars(module).items() if not k.startswith("_")}
    return str(module), exported

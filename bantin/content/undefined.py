"""Undefined template values named the way a campaign author writes them.

Jinja says "'dict object' has no attribute 'chu_de'": true, but it does not say which
dictionary. The template's own line does: `vars.chu_de[...]`. So the message becomes
"template needs `vars.chu_de`", which names what the campaign's `vars:` must give.
"""

from __future__ import annotations

import re

from jinja2 import Environment, UndefinedError

_ATTRIBUTE = re.compile(r"has no attribute '(?P<name>\w+)'")
_KEY = re.compile(r"has no element '?(?P<name>[^']+)'?")
_NAME = re.compile(r"^'(?P<name>\w+)' is undefined")


def source_line(env: Environment | None, template: str | None, lineno: int | None) -> str:
    """The template's source line, or "" when the loader cannot give it."""
    if env is None or env.loader is None or template is None or not lineno:
        return ""
    try:
        source, _, _ = env.loader.get_source(env, template)
    except Exception:  # a missing line only makes the message shorter
        return ""
    lines = source.splitlines()
    return lines[lineno - 1] if 0 < lineno <= len(lines) else ""


def needs(exc: UndefinedError, line: str) -> str:
    """One sentence naming the missing value: "template needs `vars.chu_de`"."""
    message = exc.message or ""
    found = _NAME.search(message)
    if found:
        return f"template needs `{found['name']}`"
    found = _ATTRIBUTE.search(message) or _KEY.search(message)
    if not found:
        return f"template needs a value it was not given ({message})"
    name = found["name"]
    path = re.search(
        rf"([A-Za-z_][\w.]*)(?:\.{re.escape(name)}\b|\[\s*['\"]{re.escape(name)}['\"]\s*\])",
        line,
    )
    return f"template needs `{path[1]}.{name}`" if path else f"template needs `{name}`"

"""Read YAML while remembering the line of every value, so errors can point at it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class LocatedYAML:
    data: Any
    lines: dict[Path_, int]

    def line_of(self, loc: Path_) -> int | None:
        """The line of `loc`, or of its nearest ancestor that exists in the file."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)


class YAMLSyntax(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so pydantic reports a bad date on its field
    (PyYAML would crash on 2026-13-01 before validation could name the line)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_located(text: str) -> LocatedYAML:
    """Parse YAML text; raise YAMLSyntax with the line of the problem."""
    text = unicodedata.normalize("NFC", text)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YAMLSyntax(line, f"YAML syntax error: {exc.problem or exc}") from exc
    if node is None:
        return LocatedYAML(None, {(): 1})
    lines: dict[Path_, int] = {}
    loader = _Loader("")

    def build(n: yaml.Node, path: Path_) -> Any:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                key = loader.construct_object(key_node, deep=True)
                if key in out:
                    raise YAMLSyntax(key_node.start_mark.line + 1, f"duplicate key {key!r}")
                out[key] = build(value_node, (*path, key))
                # Point at the key: that is where a reviewer looks for the field.
                lines[(*path, key)] = key_node.start_mark.line + 1
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, (*path, i)) for i, item in enumerate(n.value)]
        try:
            return loader.construct_object(n, deep=True)
        except (yaml.constructor.ConstructorError, ValueError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            raise YAMLSyntax(n.start_mark.line + 1, f"YAML value error: {problem}") from exc

    return LocatedYAML(build(node, ()), lines)

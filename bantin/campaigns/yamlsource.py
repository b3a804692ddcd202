"""Read YAML while remembering the line of every value, so errors can point at it.

Campaign files are written by people and reviewed as text, so the reader is defensive:
a file over `MAX_FILE_BYTES` is refused before parsing, aliases may not expand beyond a
small budget (a "billion laughs" file would otherwise take all memory) nor refer to
themselves, nesting is bounded, keys must be plain values, NUL bytes are named by line,
and identifiers (task, agency, unit and channel codes) keep the text as written:
`task: 1.10` stays "1.10" rather than becoming the number 1.1.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 20_000  # values after alias expansion; the bundled files have a few hundred
MAX_DEPTH = 40
# Fields whose values are codes: a plain scalar keeps its source text (1.10, 012345).
TEXT_FIELDS = frozenset({"id", "title", "task", "agency", "targets", "channels", "template"})


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


def read_text(path: Path) -> str:
    """A campaign file's text, refusing a file over the size limit before reading it."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise YAMLSyntax(
            None,
            f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes "
            "(split it into several campaigns)",
        )
    return path.read_text(encoding="utf-8")


def _compose(text: str) -> yaml.Node | None:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise YAMLSyntax(None, f"file is over the limit of {MAX_FILE_BYTES:,} bytes")
    nul = text.find("\x00")
    if nul >= 0:
        raise YAMLSyntax(text.count("\n", 0, nul) + 1, "the file contains a NUL byte")
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YAMLSyntax(line, f"YAML syntax error: {exc.problem or exc}") from exc
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise YAMLSyntax(line, f"YAML syntax error: {exc.reason} character") from exc
    except RecursionError as exc:
        raise YAMLSyntax(
            _too_deep(text), f"values are nested more than {MAX_DEPTH} levels deep"
        ) from exc
    except yaml.YAMLError as exc:
        raise YAMLSyntax(None, f"YAML syntax error: {exc}") from exc


def _too_deep(text: str) -> int | None:
    """The line where nesting passes MAX_DEPTH (PyYAML's event parser does not recurse)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH and event.start_mark is not None:
                return int(event.start_mark.line) + 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


class _Builder:
    """Turns composed nodes into Python values, counting what aliases expand to."""

    def __init__(self) -> None:
        self.lines: dict[Path_, int] = {}
        self.loader = _Loader("")
        self.nodes = 0
        self.open: set[int] = set()  # nodes being built: an alias to one is a cycle

    def build(self, n: yaml.Node, path: Path_) -> Any:
        line = n.start_mark.line + 1
        self.lines[path] = line
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YAMLSyntax(
                line,
                f"the file expands to more than {MAX_NODES:,} values "
                "(aliases such as *name repeat what they refer to; write values out)",
            )
        if len(path) > MAX_DEPTH:
            raise YAMLSyntax(line, f"values are nested more than {MAX_DEPTH} levels deep")
        if id(n) in self.open:
            raise YAMLSyntax(line, "an alias refers to the value that contains it")
        if isinstance(n, yaml.ScalarNode):
            return self.scalar(n, path)
        self.open.add(id(n))
        try:
            if isinstance(n, yaml.MappingNode):
                return self.mapping(n, path)
            return [self.build(item, (*path, i)) for i, item in enumerate(n.value)]
        finally:
            self.open.discard(id(n))

    def mapping(self, n: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in n.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise YAMLSyntax(line, "a key must be a plain name, not a list or a mapping")
            key = self.scalar(key_node, path)
            if key in out:
                raise YAMLSyntax(line, f"duplicate key {key!r}")
            out[key] = self.build(value_node, (*path, key))
            # Point at the key: that is where a reviewer looks for the field.
            self.lines[(*path, key)] = line
        return out

    def scalar(self, n: yaml.ScalarNode, path: Path_) -> Any:
        if path and path[0] in TEXT_FIELDS and n.style is None and n.tag in _NUMBERS:
            return n.value  # the code as written: 1.10, 012345
        try:
            return self.loader.construct_object(n, deep=True)
        except (yaml.constructor.ConstructorError, ValueError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            raise YAMLSyntax(n.start_mark.line + 1, f"YAML value error: {problem}") from exc


_NUMBERS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def load_located(text: str) -> LocatedYAML:
    """Parse YAML text; raise YAMLSyntax with the line of the problem."""
    text = unicodedata.normalize("NFC", text)
    node = _compose(text)
    if node is None:
        return LocatedYAML(None, {(): 1})
    builder = _Builder()
    return LocatedYAML(builder.build(node, ()), builder.lines)

"""Lazy command loading: a command's module is imported only when that command runs.

Why: importing every command module pulls in SQLAlchemy, the models, Alembic, Jinja2,
requests and the report libraries, about a second before `bantin --version` could
answer (issue 11: any command starts in 0.3 s or less). The root group knows each
top-level command's module and the first paragraph of its help from `commands.txt`,
written by `python scripts/cli_docs.py` next to docs/cli.md (tests/test_cli_lazy.py
fails when it is out of date), so `bantin --help` lists every command without importing
one. Command modules still register themselves with `@cli.command`/`@cli.group`.

Code that walks `cli.commands` (the docs generator, tests) sees every command: iterating
the mapping loads all modules first; looking one name up loads only its module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_keys, dict_values

INDEX_FILE = Path(__file__).with_name("commands.txt")
#: Modules of bantin.cli that define no commands.
NOT_COMMANDS = frozenset({"app", "lazy"})


def read_index(path: Path = INDEX_FILE) -> dict[str, tuple[str, str]]:
    """{command name: (module, first paragraph of its help)} from the index file."""
    index: dict[str, tuple[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, module, text = line.split("\t", 2)
            index[name] = (module, text)
    return index


def command_modules() -> list[str]:
    """Every module of bantin.cli that may define commands (found, not listed by hand)."""
    package = Path(__file__).parent
    return sorted(
        f"bantin.cli.{m.name}"
        for m in pkgutil.iter_modules([str(package)])
        if m.name not in NOT_COMMANDS
    )


def render_index(group: click.Group) -> str:
    """The index file's text for `group` with every command module imported."""
    for module in command_modules():
        importlib.import_module(module)
    lines = ["# name<TAB>module<TAB>help's first paragraph. Written by scripts/cli_docs.py."]
    for name, cmd in sorted(group.commands.items()):
        module = cmd.callback.__module__ if cmd.callback else type(cmd).__module__
        first = (cmd.short_help or cmd.help or "").partition("\n\n")[0]
        lines.append(f"{name}\t{module}\t{' '.join(first.split())}")
    return "\n".join(lines) + "\n"


class LazyCommands(dict[str, click.Command]):
    """A group's command mapping that imports a command's module on first lookup."""

    def __init__(self, index: dict[str, tuple[str, str]]) -> None:
        super().__init__()
        self.index = index

    def load(self, name: str) -> None:
        if not dict.__contains__(self, name) and name in self.index:
            importlib.import_module(self.index[name][0])

    def load_all(self) -> None:
        for module, _ in self.index.values():
            importlib.import_module(module)

    def loaded(self, name: str) -> click.Command | None:
        """The command if its module is imported already, without importing it."""
        return dict.get(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        self.load(name)
        return super().get(name, default)

    def __getitem__(self, name: str) -> click.Command:
        self.load(name)
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        return name in self.index or super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        self.load_all()
        return super().__iter__()

    def __len__(self) -> int:
        self.load_all()
        return super().__len__()

    def keys(self) -> dict_keys[str, click.Command]:
        self.load_all()
        return super().keys()

    def values(self) -> dict_values[str, click.Command]:
        self.load_all()
        return super().values()

    def items(self) -> dict_items[str, click.Command]:
        self.load_all()
        return super().items()


class LazyGroup(click.Group):
    """A click group whose top-level commands load on demand (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(read_index())

    @property
    def lazy(self) -> LazyCommands:
        assert isinstance(self.commands, LazyCommands)
        return self.commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.lazy.index) | set(dict.keys(self.lazy)))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, with the index's help standing in for commands not loaded."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            cmd = self.lazy.loaded(name) or click.Command(name, help=self.lazy.index[name][1])
            if not cmd.hidden:
                rows.append((name, cmd))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])

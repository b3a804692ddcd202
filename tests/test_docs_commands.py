"""Every ```sh, ```console and ```yaml block of README.md and docs/*.md runs as written.

Blocks run in order, per file, on a fresh BANTIN_HOME with a fixed clock (BANTIN_NOW);
the pages of docs/ start where the README's quick start leaves off, after `bantin init`.
A YAML block is written to the file the text just before it names (`…yaml` in
backticks) and, when it is a campaign, validated. A block not meant to run carries an
HTML comment `<!-- not-run: reason -->` on the line before it. Commands other than
`bantin`, `export`, `echo … |`, `VAR=value` prefixes and `curl` to 127.0.0.1:8080 are
refused: a block that needs another server or a shell says so with its marker.

`bantin serve` is the one long-running command played rather than run: the `curl` lines
after it go to the same Flask app through its test client (no socket), and a
`Bearer bantin_…` placeholder becomes the token the document's `token create` printed,
and a feed URL's `doc_…` the one `feeds token create` printed last.

A failure the document shows is expected: a `curl` line whose comment starts with a
status code (`# 503 until …`) expects it, and a bantin line whose comment holds
`error: "TEXT"` expects exit 1 and TEXT in the output.
"""

from __future__ import annotations

import glob
import json
import re
import shlex
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bantin.cli import cli
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "cli.md")]
FENCE = re.compile(r"^```(\w*)\s*$")
NOT_RUN = re.compile(r"<!--\s*not-run:\s*\S.*-->")
NAMED_FILE = re.compile(r"`([\w./-]+\.ya?ml)`")
#: The fixed clock of every block: a Tuesday morning in Vĩnh Long.
NOW = "2026-12-01T08:00"


@dataclass
class Block:
    doc: Path
    line: int
    lang: str
    text: str
    before: str  # the paragraph before the fence

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    lines = doc.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = "\n".join(lines[max(0, i - 4) : i])
        if m[1] in {"sh", "console", "yaml"} and not NOT_RUN.search(lines[i - 1] if i else ""):
            out.append(Block(doc, i + 1, m[1], "\n".join(lines[i + 1 : end]), before))
        i = end + 1
    return out


def logical_lines(text: str, console: bool) -> list[str]:
    """Commands of a shell block: continuations joined, comments and prompts handled."""
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if console:
            if not raw.startswith("$ ") and not pending:
                continue  # output shown in the document
            raw = raw.removeprefix("$ ")
        line = pending + raw
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        if line.strip() and not line.strip().startswith("#"):
            out.append(line)
    return out


def expand(word: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m[1], ""), word)


class Shell:
    """Just enough of a shell for the documents: bantin in-process, with its env."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {"PWD": str(cwd), "BANTIN_NOW": NOW, "BANTIN_HOME": str(cwd / "var")}
        self.token = ""
        self.feed_token = ""  # `doc_…` in a feed URL: the one `feeds token create` printed
        self.expect_status, self.expect_error = 0, ""

    def curl(self, words: list[str], line: str, where: str) -> None:
        from bantin.config import load_settings
        from bantin.core.clock import FixedClock
        from bantin.web import create_app

        headers: dict[str, str] = {}
        url, output, i = "", None, 1
        while i < len(words):
            w = words[i]
            if w == "-H":
                name, _, value = words[i + 1].partition(":")
                headers[name] = value.strip().replace("bantin_…", self.token)
                i += 1
            elif w == "-o":
                output, i = words[i + 1], i + 1
            elif not w.startswith("-"):
                url = w.replace("doc_…", self.feed_token)
            i += 1
        assert url.startswith("http://127.0.0.1:8080/"), f"{where}: `{line}` leaves the machine"
        settings = load_settings()
        now = FixedClock(datetime.fromisoformat(NOW).replace(tzinfo=settings.timezone))
        client = create_app(settings, clock=now).test_client()
        answer = client.get(url.removeprefix("http://127.0.0.1:8080"), headers=headers)
        wanted = {self.expect_status} if self.expect_status else {200, 304}
        assert answer.status_code in wanted, f"{where}: `{line}`: {answer.status}"
        if output:
            (self.cwd / output).write_bytes(answer.data)

    def run(self, line: str, where: str) -> None:
        comment = line.partition(" #")[2]
        self.expect_status = int(m[1]) if (m := re.match(r"\s*(\d{3})\b", comment)) else 0
        self.expect_error = m[1] if (m := re.search(r'error: "([^"]+)"', comment)) else ""
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
        commands: list[list[str]] = [[]]
        for w in words:
            if w in {"&&", ";"}:
                commands.append([])
            else:
                commands[-1].append(w)
        for words in commands:
            self.command(words, line, where)

    def command(self, words: list[str], line: str, where: str) -> None:
        stdin = None
        if "|" in words:
            left, words = words[: words.index("|")], words[words.index("|") + 1 :]
            assert left[:1] == ["echo"], f"{where}: only `echo … |` pipes run here: {line}"
            stdin = " ".join(left[1:]) + "\n"
        env = dict(self.env)
        while words and re.match(r"^\w+=", words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = expand(value, self.env)
        if words[:1] == ["export"]:
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                self.env[name] = expand(value, self.env)
            return
        if words[:1] == ["curl"]:
            self.curl([expand(w, env) for w in words], line, where)
            return
        if words[:2] == ["bantin", "serve"]:
            return  # played: see the module docstring
        assert words[:1] == ["bantin"], (
            f"{where}: `{line}` is not a bantin command; mark the block <!-- not-run: why -->"
        )
        args: list[str] = []
        for w in (expand(w, env) for w in words[1:]):
            args += sorted(glob.glob(w, root_dir=self.cwd)) if "*" in w else [w]
        typed = stdin or "gia-tri-thu\ngia-tri-thu\n"  # what a person types at a prompt
        result = CliRunner().invoke(cli, args, env=env, input=typed)
        self.token = self.token or next(iter(re.findall(r"bantin_\S+", result.output)), "")
        found = re.findall(r"\bdoc_[\w-]+", result.output)
        self.feed_token = found[-1] if found else self.feed_token  # the newest one
        if self.expect_error:
            assert result.exit_code == 1 and self.expect_error in result.output, (
                f"{where}: `{line}` should fail with {self.expect_error!r}:\n{result.output}"
            )
            return
        assert result.exit_code == 0, (
            f"{where}: `{line}` exited {result.exit_code}:\n{result.output}"
        )
        assert "Traceback" not in result.output, f"{where}: `{line}`:\n{result.output}"


def write_yaml(block: Block, shell: Shell) -> None:
    data = yaml.safe_load(block.text)  # a YAML block that does not parse fails here
    named = NAMED_FILE.findall(block.before)
    if not named or not isinstance(data, dict):
        return
    path = shell.cwd / named[-1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(block.text + "\n", encoding="utf-8")
    if "schedule" in data and "id" in data:
        shell.run(f"bantin campaign validate {named[-1]}", block.where)


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_block_of_a_document_runs(
    doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bantin").symlink_to(ROOT / "bantin")  # paths in the docs are repo-relative
    monkeypatch.chdir(tmp_path)
    for name in ("BANTIN_DB", "BANTIN_SECRET_KEY", "BANTIN_AUDIT_KEY"):
        monkeypatch.delenv(name, raising=False)
    shell = Shell(tmp_path)
    # Through monkeypatch only: a direct os.environ write first would make monkeypatch
    # "restore" this home, and later module fixtures would sign audit events with its key.
    monkeypatch.setenv("BANTIN_HOME", shell.env["BANTIN_HOME"])
    if doc.name != "README.md":  # the pages of docs/ start after the README's `bantin init`
        shell.run("bantin init", f"{doc.name} (set-up)")
    for block in blocks(doc):
        if block.lang == "yaml":
            write_yaml(block, shell)
            continue
        for line in logical_lines(block.text, block.lang == "console"):
            shell.run(line, block.where)


def test_bantin_now_fixes_the_clock_of_commands_that_take_now(
    run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_NOW", "2026-12-01T08:00")
    run_cli("channel", "add", "loa-xa", "outbox://outbox/loa-xa", "--agency", "COMMUNES")
    run_cli("campaign", "apply", str(ROOT / "bantin/data/campaigns/loa-cds.yaml"))
    rows = json.loads(run_cli("schedule", "--limit", "1", "--json").output)
    assert rows[0]["due_local"].startswith("2026-12-01 17:00")

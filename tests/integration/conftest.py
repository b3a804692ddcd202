"""Integration fixtures: a real WordPress on 127.0.0.1, one per test session.

`scripts/wordpress.sh up` installs the Debian packages when they are missing (apt-get, root)
and starts MariaDB and PHP's built-in server for an instance kept entirely in a temporary
directory; `destroy` stops both and deletes it. If `up` cannot work (no root, no apt-get, no
network for the packages) the tests that use the fixture ERROR rather than skip: CI installs
WordPress with this same script, so a skip would hide a broken pipeline.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "wordpress.sh"


@dataclass(frozen=True)
class WordPressSite:
    url: str  # http://127.0.0.1:PORT
    user: str
    app_password: str
    port: int
    dir: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordPressSite]:
    """A fresh WordPress for the session; destroyed (processes, files, config) at the end."""
    wp_dir = tmp_path_factory.mktemp("wp") / "wordpress"
    port = free_port()
    started = time.monotonic()
    # 900 s: a first install on a fresh machine runs apt-get, which may wait for the dpkg lock.
    up = _run("up", "--dir", str(wp_dir), "--port", str(port), timeout=900)
    if up.returncode != 0:
        _run("destroy", "--dir", str(wp_dir), timeout=120)  # a half-up instance: clean it
        pytest.fail(
            f"scripts/wordpress.sh up failed (exit {up.returncode}). These tests need root and "
            "the WordPress packages (the script apt-gets them); CI provides both, so this is an "
            f"error, not a skip.\n{up.stderr[-4000:]}",
            pytrace=False,
        )
    env = dict(line.split("=", 1) for line in (wp_dir / "env").read_text().splitlines() if line)
    print(f"\nWordPress up at {env['WP_URL']} in {time.monotonic() - started:.1f} s")
    try:
        yield WordPressSite(env["WP_URL"], env["WP_USER"], env["WP_APP_PASSWORD"], port, wp_dir)
    finally:
        down = _run("destroy", "--dir", str(wp_dir), timeout=180)
        if down.returncode != 0:
            pytest.fail(f"scripts/wordpress.sh destroy failed:\n{down.stderr[-4000:]}")

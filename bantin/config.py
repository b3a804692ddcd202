"""Settings: environment variables `BANTIN_*`, then an optional `bantin.toml`, then defaults.

The environment wins so that one machine can run several instances (tests, staging)
without editing files.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one bantin instance."""

    home: Path
    db_url: str
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TZ))
    horizon_days: int = 35
    lease_seconds: int = 120
    approval_lead_hours: float = 24.0
    #: Sends in flight per runner. A slow receiver (50 ms an answer) holds a thread 50 ms a
    #: send: 32 capped a burst at 640 a second, 128 at 2,560; 256 keep up with a burst made
    #: ready ahead, and a fast receiver is no slower (docs/performance.md). Threads and
    #: pooled connections are opened only as sends need them.
    dispatch_workers: int = 256
    dispatch_batch: int = 64
    #: Seconds before their due time that a runner prepares and marks `sending` the
    #: publications of channels that deduplicate by key (bantin.ahead), so that a burst
    #: leaves on its second; 0 turns it off.
    dispatch_lead_seconds: float = 5.0
    safety_interval_seconds: int = 30
    #: PostgreSQL: how often a runner writes its heartbeat, and how old another runner's
    #: heartbeat may grow before its claims are taken over (bantin.takeover).
    heartbeat_seconds: float = 3.0
    takeover_after_seconds: float = 15.0
    max_attempts: int = 6
    public_url: str | None = None  # where `bantin serve` is reachable, for audio links
    read_rate_spm: float = 233.0  # syllables a minute, for radio timing (docs/content.md)
    backup_dir: Path | None = None  # a daily backup goes here when set (docs/operations.md)
    backup_keep: int = 7  # how many daily backups to keep
    metrics_listen: str | None = None  # HOST:PORT for `bantin run`'s /metrics; off when unset
    #: Internal address ranges outbound requests may reach anyway (bantin.outbound).
    outbound_allow: tuple[str, ...] = ()
    #: The only folder a template's `image_path` may name a file in; default $home/media.
    media_path: Path | None = None
    #: Whole-fetch deadline for one feed, seconds (bantin.content.feeds).
    feed_deadline_seconds: float = 30.0

    @property
    def media_dir(self) -> Path:
        return self.media_path or self.home / "media"


def _toml(home: Path) -> dict[str, object]:
    for candidate in (Path.cwd() / "bantin.toml", home / "bantin.toml"):
        if candidate.is_file():
            with candidate.open("rb") as fh:
                return tomllib.load(fh)
    return {}


def load_settings(
    db_url: str | None = None, home: str | os.PathLike[str] | None = None
) -> Settings:
    """Build settings; explicit arguments (the CLI's `--db`) override everything."""
    home_path = Path(home or os.environ.get("BANTIN_HOME") or "var").resolve()
    conf = _toml(home_path)

    def pick(name: str, default: object) -> object:
        env = os.environ.get(f"BANTIN_{name.upper()}")
        if env is not None:
            return env
        return conf.get(name, default)

    url = db_url or str(pick("db", "")) or f"sqlite:///{home_path / 'bantin.db'}"
    return Settings(
        home=home_path,
        db_url=url,
        timezone=ZoneInfo(str(pick("timezone", DEFAULT_TZ))),
        horizon_days=int(str(pick("horizon_days", 35))),
        lease_seconds=int(str(pick("lease_seconds", 120))),
        approval_lead_hours=float(str(pick("approval_lead_hours", 24))),
        dispatch_workers=int(str(pick("dispatch_workers", 256))),
        dispatch_batch=int(str(pick("dispatch_batch", 64))),
        dispatch_lead_seconds=max(0.0, float(str(pick("dispatch_lead_seconds", 5)))),
        safety_interval_seconds=int(str(pick("safety_interval_seconds", 30))),
        heartbeat_seconds=float(str(pick("heartbeat_seconds", 3))),
        takeover_after_seconds=float(str(pick("takeover_after_seconds", 15))),
        max_attempts=int(str(pick("max_attempts", 6))),
        read_rate_spm=float(str(pick("read_rate_spm", 233))),
        public_url=str(pick("public_url", "")) or None,
        backup_dir=_path(pick("backup_dir", ""), home_path),
        backup_keep=max(1, int(str(pick("backup_keep", 7)))),
        metrics_listen=str(pick("metrics_listen", "")) or None,
        outbound_allow=_ranges(pick("outbound_allow", "")),
        media_path=Path(str(pick("media_dir", ""))).resolve() if pick("media_dir", "") else None,
        feed_deadline_seconds=float(str(pick("feed_deadline_seconds", 30))),
    )


def _path(value: object, home: Path) -> Path | None:
    """A folder setting: empty means unset, a relative path is relative to BANTIN_HOME."""
    text = str(value or "").strip()
    return (home / text).resolve() if text else None


def _ranges(value: object) -> tuple[str, ...]:
    """`a,b` (environment) or a TOML list -> the entries, unparsed (bantin.outbound checks)."""
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(str(i).strip() for i in items if str(i).strip())

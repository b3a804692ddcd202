"""APScheduler wiring, and nothing else: it decides *when*; the database says *what*.

Publications are rows, not jobs (see DESIGN.md). Each `bantin run` keeps a handful of
in-memory jobs: a date job re-armed for the next due time, a slow safety interval, the
daily materialisation. Jobs only wake a single dispatch thread, so a pass never runs
twice at once and a wake-up that arrives mid-pass is never lost.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bantin import backup, health, logjson, metrics, takeover
from bantin.audio_prep import presynthesise
from bantin.campaigns.materialise import materialise_all
from bantin.config import Settings
from bantin.content.feeds import ingest_all
from bantin.core.audit import anchor as audit_anchor
from bantin.core.clock import Clock, SystemClock
from bantin.core.db import Database
from bantin.dispatch import Dispatcher
from bantin.heartbeat import Heartbeat
from bantin.records import alerts, deadlines
from bantin.shared_limits import limits_for
from bantin.singleton import Duties

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Runner:
    """The `bantin run` process: scheduler jobs plus one dispatch thread."""

    def __init__(self, db: Database, settings: Settings, clock: Clock | None = None) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()
        self.id = runner_id()
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.dispatcher = Dispatcher(
            db, settings, self.clock, self.id, self.stop, limits=limits_for(db)
        )
        #: Singleton duties: one runner at a time does each (advisory locks on PostgreSQL).
        self.duties = Duties(db)
        self.heartbeat = Heartbeat(
            db,
            self.id,
            self.clock,
            every=settings.heartbeat_seconds,
            stale_after=timedelta(seconds=settings.takeover_after_seconds),
            on_takeover=self.kick,
            stop=self.stop,
        )
        self.scheduler = BackgroundScheduler(timezone=settings.timezone, job_defaults=JOB_DEFAULTS)
        self._thread = threading.Thread(target=self._loop, name="dispatch-loop", daemon=True)
        self._armed: datetime | None = None
        self._idle_said = False
        self._metrics_server: object | None = None
        logjson.set_runner(self.id)

    # -- jobs (module-level behaviour, tiny bodies) --------------------------------------
    def kick(self) -> None:
        self.wake.set()

    def materialise(self) -> None:
        horizon = timedelta(days=self.settings.horizon_days)
        with metrics.timed("materialise"):
            results = materialise_all(self.db, self.clock.now(), horizon, self.id)
        added = sum(r.added for r in results)
        log.info(
            "materialised %d campaigns to the %d-day horizon (%d new publications)",
            len(results),
            self.settings.horizon_days,
            added,
        )
        self.kick()

    def prepare_audio(self) -> None:
        """Record the radio scripts of the next hours, so dispatch only attaches them."""
        ready = presynthesise(self.db, self.clock.now(), self.settings.home)
        if ready:
            log.info("audio ready for %d radio scripts due in the next hours", ready)

    def notify_alerts(self) -> None:
        """Tell agencies about new alerts (broken channels, failed publications)."""
        s = self.settings
        stats = alerts.notify_due(self.db, self.clock.now(), s.timezone, s.home)
        if stats.sent or stats.failed:
            log.info("alerts: %d notified, %d to retry", stats.sent, stats.failed)

    def check_report_deadlines(self) -> None:
        """Draft (20/11), remind (1/12) and flag overdue (5/12) annual reports; idempotent."""
        s = self.settings
        with self.db.session() as session:
            deadlines.check_deadlines(session, self.clock.now(), s.timezone, s.home, self.id)

    def sign_audit_head(self) -> None:
        """Append tonight's signed audit head for the operator to ship off the machine."""
        s = self.settings
        with self.db.session() as session:
            audit_anchor.daily_head(session, s.home, self.clock.now(), s.timezone)

    def backup(self) -> None:
        """The daily backup into BANTIN_BACKUP_DIR, keeping the newest BANTIN_BACKUP_KEEP."""
        s = self.settings
        if s.backup_dir is None:
            return
        made = backup.take_backup(s.db_url, s.home, s.backup_dir, self.clock.now())
        removed = backup.prune(s.backup_dir, s.backup_keep)
        metrics.LAST_BACKUP.set(self.clock.now().timestamp())
        log.info("backup written to %s (%d old removed)", made.folder, len(removed))

    def _rearm(self) -> None:
        now = self.clock.now()
        nxt = self.dispatcher.next_wakeup(now)
        if nxt is None:
            if self._armed is not None or not self._idle_said:
                log.info("nothing due; waiting for the safety check or new campaigns")
                self._armed, self._idle_said = None, True
            return
        run_at = max(nxt, now + timedelta(milliseconds=50))
        self.scheduler.add_job(
            self.kick, DateTrigger(run_date=run_at), id="dispatch", replace_existing=True
        )
        if run_at != self._armed:  # the safety interval re-arms often; say it once
            local = run_at.astimezone(self.settings.timezone)
            log.info("next dispatch at %s", local.strftime("%Y-%m-%d %H:%M:%S %Z"))
            self._armed = run_at

    def _loop(self) -> None:
        while not self.stop.is_set():
            self.wake.wait()
            self.wake.clear()
            if self.stop.is_set():
                break
            try:
                with metrics.timed("dispatch"):
                    stats = self.dispatcher.run_pass()
                metrics.heartbeat(self.id, self.clock.now())
                health.beat(self.db, self.id, self.clock.now())  # seen by /healthz
                if stats.claimed or stats.recovered or stats.released or stats.reviews:
                    log.info(
                        "dispatch: %d claimed, %d published, %d retrying, %d failed, %d missed, "
                        "%d recovered, %d rendered for review",
                        stats.claimed,
                        stats.published,
                        stats.retried,
                        stats.failed,
                        stats.missed,
                        stats.recovered,
                        stats.reviews,
                    )
                self._rearm()
            except Exception:
                log.exception("dispatch pass failed; the safety interval will try again")

    # -- life cycle --------------------------------------------------------------------
    def start(self) -> None:
        log.info("bantin runner %s starting on %s", self.id, self.db.engine.url.render_as_string())
        if self.db.is_sqlite:  # the run lock proves every other claimer is gone
            takeover.expire_all_but(self.db, self.id, self.clock.now())
        self.heartbeat.start()
        self._add_jobs()
        if self.settings.metrics_listen:
            self._metrics_server, _ = metrics.serve(
                self.settings.metrics_listen, self.db, self.clock, self.settings.timezone
            )
        self.scheduler.start()
        self._thread.start()
        if self.duties.holds("materialise"):
            self.materialise()
        else:
            self.kick()

    def _add_jobs(self) -> None:
        """The scheduler's jobs; every one but dispatch is a singleton duty."""
        tz = self.settings.timezone
        duty = self.duties.run
        self.scheduler.add_job(
            self.kick,
            IntervalTrigger(seconds=self.settings.safety_interval_seconds),
            id="dispatch-safety",
        )
        self.scheduler.add_job(
            duty("materialise", self.materialise),
            CronTrigger(hour=0, minute=5, timezone=tz),
            id="materialise",
        )
        self.scheduler.add_job(
            duty("notify-alerts", self.notify_alerts),
            IntervalTrigger(seconds=60),
            id="notify-alerts",
        )
        self.scheduler.add_job(
            duty("feeds", lambda: ingest_all(self.db, self.clock)),
            IntervalTrigger(minutes=30),
            id="feeds",
        )
        self.scheduler.add_job(
            duty("audio", self.prepare_audio), IntervalTrigger(minutes=10), id="audio"
        )
        self.scheduler.add_job(
            duty("deadlines", self.check_report_deadlines),
            CronTrigger(hour=7, timezone=tz),  # local, not the host's zone
            id="deadlines",
        )
        self.scheduler.add_job(
            duty("audit-head", self.sign_audit_head),
            CronTrigger(hour=0, minute=15, timezone=tz),
            id="audit-head",
        )
        if self.settings.backup_dir is not None:
            last = backup.last_backup_time(self.settings.backup_dir)
            metrics.LAST_BACKUP.set(last or 0)  # a restart does not hide a missing backup
            self.scheduler.add_job(
                duty("backup", self.backup),
                CronTrigger(hour=2, minute=30, timezone=tz),
                id="backup",
            )

    def shutdown(self) -> None:
        """Stop taking work, finish sends in flight, give back claims not yet started."""
        if self.stop.is_set():
            return
        log.info("stopping: finishing sends in flight and releasing unstarted claims")
        self.stop.set()
        self.wake.set()
        self.scheduler.shutdown(wait=False)
        if self._metrics_server is not None:
            self._metrics_server.shutdown()  # type: ignore[attr-defined]
            self._metrics_server.server_close()  # type: ignore[attr-defined]
        self._thread.join(timeout=60)
        if self._thread.is_alive():
            # A send is taking longer than a minute; its lease will bring the row back
            # to another pass. Closing channels under it would only add noise.
            log.warning("a dispatch pass is still running; leaving it to its lease")
            return
        self.duties.close()
        self.dispatcher.close()
        log.info("stopped")

    def run(self, for_seconds: float | None = None) -> None:
        """Run until SIGINT/SIGTERM, or for `for_seconds`."""
        done = threading.Event()

        def _signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s", signal.Signals(signum).name)
            done.set()

        previous = {sig: signal.signal(sig, _signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            done.wait(timeout=for_seconds)
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

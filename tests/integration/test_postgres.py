"""Scale-out on PostgreSQL: migrations, campaigns, dispatch with an injected clock, two
dispatchers racing on the same burst (SELECT ... FOR UPDATE SKIP LOCKED) and two runners
recovering the same crashed sends.

The cluster is a throwaway one started for the session (tests/integration/pg.py); each test
gets its own database, copied from a template that already has the migrations and the plan.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select

from bantin.channels.base import Receipt
from bantin.cli import cli
from bantin.config import Settings, load_settings
from bantin.content.render import Rendered
from bantin.core import audit
from bantin.core.clock import FixedClock
from bantin.core.db import Base, Database
from bantin.core.models import AuditEvent, AuditHead, DeliveryAttempt, Publication
from bantin.dispatch import Dispatcher
from bantin.migrate import upgrade
from bantin.plan.loader import load_plan
from tests.conftest import EXAMPLES, T0
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply, snapshot
from tests.integration.pg import PgCluster, PgUnavailable

pytestmark = pytest.mark.slow

TEMPLATE = "bantin_template"
DAY = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # 00:00 on Thursday 3/12/2026 in Vĩnh Long
BURST = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)  # 05:30 in Vĩnh Long: 124 bulletins
UNITS = 124
_names = itertools.count(1)


def _install_server() -> None:
    """Root with apt-get: install the Debian server package, as scripts/system-deps.sh does."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        env=env,
        check=False,
        timeout=900,
    )


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL server for the session, plus a template database with the schema and
    the plan; stopped (`pg_ctl stop -m fast`) and deleted at the end. ERRORs, never skips,
    when no server can be started."""
    try:
        try:
            cluster = PgCluster()
        except PgUnavailable:
            _install_server()
            cluster = PgCluster()
        cluster.start()
    except PgUnavailable as exc:
        pytest.fail(
            f"cannot start PostgreSQL: {exc}\nCI installs the server with "
            "scripts/system-deps.sh, so this is an error, not a skip.",
            pytrace=False,
        )
    try:
        db = Database(cluster.create_database(TEMPLATE))
        upgrade(db)
        with db.session() as s:
            load_plan(s, T0, actor="test")
        db.dispose()  # CREATE DATABASE ... TEMPLATE needs the template unused
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster, home: Path) -> Iterator[str]:
    """A fresh database per test, copied from the template (migrated, plan loaded)."""
    name = f"bantin_t{next(_names)}"
    yield pg_cluster.create_database(name, template=TEMPLATE)
    pg_cluster.drop_database(name)


@pytest.fixture
def pg(pg_url: str) -> Iterator[Database]:
    database = Database(pg_url)
    assert database.engine.dialect.name == "postgresql"
    yield database
    database.dispose()


@pytest.fixture
def pg_settings(pg_url: str, home: Path) -> Settings:
    return load_settings(db_url=pg_url)


def examples(db: Database, home: Path, now: datetime = DAY) -> None:
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    apply(db, sorted(EXAMPLES.glob("*.yaml")), now, home)


def by_campaign_status(db: Database) -> dict[tuple[str, str], int]:
    with db.session() as s:
        rows = s.execute(
            select(Publication.campaign_id, Publication.status, func.count()).group_by(
                Publication.campaign_id, Publication.status
            )
        ).all()
    return {(c, st): n for c, st, n in rows}


def verify_audit(db: Database) -> audit.VerifyResult:
    """The whole chain, the events the runners staged included (sealed first)."""
    with db.session() as s:
        audit.seal(s)
        return audit.verify(s)


def audit_actions(db: Database, action: str) -> Counter[str]:
    with db.session() as s:
        audit.seal(s)
        ids = s.execute(
            select(AuditEvent.entity_id).where(
                AuditEvent.entity == "publication", AuditEvent.action == action
            )
        ).scalars()
        return Counter(ids)


def burst_ids(db: Database) -> set[int]:
    with db.session() as s:
        return set(
            s.execute(
                select(Publication.id).where(
                    Publication.due_at == BURST, Publication.campaign_id == "loa-cds"
                )
            ).scalars()
        )


def race(*jobs: Callable[[], object]) -> list[object]:
    """Run the jobs at the same moment in threads; re-raise the first failure."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a dispatcher hung"
    if errors:
        raise errors[0]
    return results


def loa_files(home: Path) -> list[Path]:
    return sorted((home / "outbox" / "loa-xa").glob("*/*.txt"))


# -- schema ---------------------------------------------------------------------------------
def test_migrations_apply_cleanly_and_init_twice_changes_nothing(
    pg_cluster: PgCluster, home: Path
) -> None:
    name = f"bantin_empty{next(_names)}"
    url = pg_cluster.create_database(name)
    try:
        runner = CliRunner()
        first = runner.invoke(cli, ["--db", url, "init", "--actor", "test"])
        assert first.exit_code == 0, first.output
        assert "loaded" in first.output and "postgresql" in first.output
        db = Database(url)
        try:
            tables = set(inspect(db.engine).get_table_names())
            assert set(Base.metadata.tables) <= tables
            assert "alembic_version" in tables
            before = snapshot(db)
            assert before[2] > 0  # loading the plan was audited
            second = runner.invoke(cli, ["--db", url, "init", "--actor", "test"])
            assert second.exit_code == 0, second.output
            assert "already current" in second.output
            assert snapshot(db) == before
            with db.session() as s:
                head = s.get_one(AuditHead, 1)
                assert head.seq == before[2]
            assert verify_audit(db).ok
        finally:
            db.dispose()
    finally:
        pg_cluster.drop_database(name)


# -- campaigns ------------------------------------------------------------------------------
def test_examples_materialise_as_on_sqlite_and_reapply_changes_nothing(
    db: Database, pg: Database, home: Path
) -> None:
    examples(db, home)
    examples(pg, home)
    on_sqlite, on_pg = by_campaign_status(db), by_campaign_status(pg)
    assert sum(on_pg.values()) > 1000
    assert on_pg == on_sqlite
    with db.session() as s1, pg.session() as s2:
        q = select(Publication.idempotency_key).order_by(Publication.idempotency_key)
        assert list(s1.execute(q).scalars()) == list(s2.execute(q).scalars())

    before = snapshot(pg)
    apply(pg, sorted(EXAMPLES.glob("*.yaml")), DAY, home)
    assert snapshot(pg) == before
    assert by_campaign_status(pg) == on_pg
    assert verify_audit(pg).ok


# -- dispatch -------------------------------------------------------------------------------
def test_a_simulated_morning_dispatches_every_due_publication_once(
    pg: Database, pg_settings: Settings, home: Path
) -> None:
    examples(pg, home)
    noon = DAY + timedelta(hours=12)
    with pg.session() as s:
        due = sorted(
            set(
                s.execute(
                    select(Publication.due_at).where(
                        Publication.due_at >= DAY,
                        Publication.due_at < noon,
                        Publication.needs_approval.is_(False),
                    )
                ).scalars()
            )
        )
        expected = set(
            s.execute(
                select(Publication.id).where(
                    Publication.due_at >= DAY,
                    Publication.due_at < noon,
                    Publication.needs_approval.is_(False),
                )
            ).scalars()
        )
    assert BURST in due and len(expected) >= UNITS

    clock = FixedClock(DAY)
    runner = Dispatcher(pg, pg_settings, clock, "pg-morning")
    try:
        for t in due:
            clock.set(t + timedelta(seconds=2))
            runner.run_pass()
        clock.set(noon)
        assert runner.run_pass().claimed == 0  # nothing left over, nothing sent twice
    finally:
        runner.close()

    with pg.session() as s:
        published = set(
            s.execute(
                select(Publication.id).where(
                    Publication.due_at < noon, Publication.status == "published"
                )
            ).scalars()
        )
        attempts = Counter(s.execute(select(DeliveryAttempt.publication_id)).scalars())
    assert published == expected
    assert set(attempts) == expected and set(attempts.values()) == {1}
    assert len(loa_files(home)) == UNITS
    assert set(audit_actions(pg, "publication.published").values()) == {1}
    assert verify_audit(pg).ok


def test_two_dispatchers_on_one_burst_claim_disjoint_sets(
    pg: Database, pg_settings: Settings, home: Path
) -> None:
    examples(pg, home)
    burst = burst_ids(pg)
    assert len(burst) == UNITS
    # Small batches and several workers each, so the two claim loops interleave.
    settings = dataclasses.replace(pg_settings, dispatch_batch=8, dispatch_workers=4)
    at = BURST + timedelta(seconds=2)
    a = Dispatcher(pg, settings, FixedClock(at), "runner-a")
    b = Dispatcher(pg, settings, FixedClock(at), "runner-b")
    try:
        race(a.run_pass, b.run_pass)
        assert a.run_pass().claimed == 0 and b.run_pass().claimed == 0
    finally:
        a.close()
        b.close()

    with pg.session() as s:
        rows = s.execute(
            select(Publication.id, Publication.status, Publication.claimed_by).where(
                Publication.id.in_(burst)
            )
        ).all()
        attempts = Counter(
            s.execute(
                select(DeliveryAttempt.publication_id).where(
                    DeliveryAttempt.publication_id.in_(burst)
                )
            ).scalars()
        )
        runners = Counter(
            s.execute(
                select(DeliveryAttempt.runner).where(DeliveryAttempt.publication_id.in_(burst))
            ).scalars()
        )
    assert {st for _, st, _ in rows} == {"published"}
    assert set(attempts) == burst and set(attempts.values()) == {1}
    claimed = audit_actions(pg, "publication.claimed")
    assert {int(k) for k in claimed} >= burst
    assert all(claimed[str(i)] == 1 for i in burst)  # disjoint: nobody claimed a row twice
    assert set(audit_actions(pg, "publication.published").values()) == {1}
    assert len(loa_files(home)) == UNITS
    assert set(runners) <= {"runner-a", "runner-b"} and sum(runners.values()) == UNITS
    print(f"\nburst split between runners: {dict(runners)}")
    result = verify_audit(pg)
    assert result.ok, result


class Crash(BaseException):
    """The process dies mid-send (not an Exception: the dispatcher must not catch it)."""


def test_interrupted_sends_are_reconciled_once_when_two_runners_sweep_together(
    pg: Database, pg_settings: Settings, home: Path
) -> None:
    examples(pg, home)
    burst = burst_ids(pg)
    at = BURST + timedelta(seconds=2)

    # Runner A claims 10 bulletins and dies while sending them: the first five reached the
    # outbox before the crash, the other five did not. They stay `sending`, lease running.
    dying = Dispatcher(
        pg, dataclasses.replace(pg_settings, dispatch_batch=10, dispatch_workers=1),
        FixedClock(at), "runner-dead",
    )  # fmt: skip
    url = dict((n, u) for n, u, _ in OUTBOX_CHANNELS)["loa-xa"]
    channel = dying.channel("loa-xa", url)
    real_publish = channel.publish
    calls = itertools.count()

    def publish_then_crash(rendered: Rendered, key: str) -> Receipt:
        if next(calls) < 5:
            real_publish(rendered, key)
        raise Crash

    channel.publish = publish_then_crash  # type: ignore[method-assign]
    claimed = dying.claim(at)
    assert len(claimed) == 10
    for pub_id in claimed:  # what each of its worker threads was doing when it died
        with pytest.raises(Crash):
            dying.deliver(pub_id)
    dying.close()
    with pg.session() as s:
        in_doubt = set(
            s.execute(select(Publication.id).where(Publication.status == "sending")).scalars()
        )
    assert len(in_doubt) == 10 and in_doubt <= burst
    assert len(loa_files(home)) == 5

    # Two live runners sweep after the lease expired, at the same moment.
    later = at + timedelta(seconds=pg_settings.lease_seconds + 60)
    settings = dataclasses.replace(pg_settings, dispatch_batch=8, dispatch_workers=4)
    b = Dispatcher(pg, settings, FixedClock(later), "runner-b")
    c = Dispatcher(pg, settings, FixedClock(later), "runner-c")
    try:
        race(b.run_pass, c.run_pass)
        assert b.run_pass().claimed == 0 and c.run_pass().claimed == 0
    finally:
        b.close()
        c.close()

    with pg.session() as s:
        statuses = Counter(
            s.execute(select(Publication.status).where(Publication.id.in_(burst))).scalars()
        )
        interrupted = list(
            s.execute(
                select(DeliveryAttempt.publication_id).where(
                    DeliveryAttempt.outcome == "interrupted"
                )
            ).scalars()
        )
    assert statuses == {"published": UNITS}
    assert sorted(interrupted) == sorted(in_doubt)  # each interrupted attempt closed once
    published = audit_actions(pg, "publication.published")
    assert all(published[str(i)] == 1 for i in burst)
    # Reconciled exactly once each: found in the outbox, or sent again with the same key.
    with pg.session() as s:
        events = s.execute(
            select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.data).where(
                AuditEvent.entity == "publication",
                AuditEvent.entity_id.in_([str(i) for i in in_doubt]),
                AuditEvent.actor.in_(("runner-b", "runner-c")),
            )
        ).all()
    found = Counter(
        e
        for e, action, data in events
        if action == "publication.published" and "interrupted" in str(data.get("reason", ""))
    )
    resent = Counter(
        e
        for e, action, data in events
        if action == "publication.retry_wait" and "interrupted" in str(data.get("reason", ""))
    )
    assert len(found) == 5 and set(found.values()) == {1}
    assert len(resent) == 5 and set(resent.values()) == {1}
    assert set(found) | set(resent) == {str(i) for i in in_doubt}
    assert len(loa_files(home)) == UNITS  # no second file for any bulletin
    result = verify_audit(pg)
    assert result.ok, result


def test_migrations_produce_the_models_schema_on_postgresql(pg: Database) -> None:
    from tests.test_migrations import schema_differences

    assert schema_differences(pg) == []


def test_postgresql_refuses_a_status_outside_the_vocabulary(pg: Database) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    examples(pg, Path(pg.url.split("?")[0]).parent)
    with pytest.raises(IntegrityError), pg.session() as s:
        first = "(SELECT min(id) FROM publication)"
        s.execute(text(f"UPDATE publication SET status = 'publised' WHERE id IN {first}"))

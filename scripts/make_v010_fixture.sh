#!/usr/bin/env bash
# Builds tests/fixtures/v0.1.0/ : a SQLite database at the v0.1.0 schema (migrations
# 0001-0003) filled by v0.1.0's OWN commands, and the secret key that encrypts its secrets.
# The upgrade test (tests/ops/test_upgrade.py, tests/integration/test_upgrade_postgres.py)
# upgrades copies of it to head; that only proves something if the data was written by the
# old code, so this script runs the tagged release from a temporary git worktree.
#
# Usage (from the repository, with the project's venv):
#   scripts/make_v010_fixture.sh [PYTHON]      # default /work/main/.venv/bin/python
#
# It needs the tag v0.1.0 (commit e363eb9) in the local clone; the committed fixture does
# not, so CI never runs this script. Re-run it only to rebuild the fixture on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${1:-/work/main/.venv/bin/python}
OUT=$REPO/tests/fixtures/v0.1.0
WORK=$(mktemp -d /tmp/bantin-v010-XXXXXX)
trap 'git -C "$REPO" worktree remove --force "$WORK/src" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

git -C "$REPO" worktree add --detach "$WORK/src" v0.1.0 >/dev/null
export PYTHONPATH=$WORK/src
export BANTIN_HOME=$WORK/home
export BANTIN_HORIZON_DAYS=1        # keep the fixture small: one day of publications
unset BANTIN_DB BANTIN_SECRET_KEY
cd "$WORK"                          # no bantin.toml from the caller's folder
b() { "$PY" -m bantin "$@"; }

b init --actor fixture
echo 's3cr3t-loa-vendor-value' | b secret set LOA_SECRET --actor fixture
echo 'EAAB-fixture-page-token' | b secret set FB_TOKEN_BAOVL --actor fixture
b channel add loa-xa outbox://outbox/loa-xa --agency COMMUNES --actor fixture
b channel add baovl-fanpage outbox://outbox/baovl-fanpage --agency BAOVL --actor fixture
b channel add baovl-portal outbox://outbox/baovl-portal --agency BAOVL --actor fixture
b channel add loa-vendor --agency COMMUNES --actor fixture \
  'webhook+https://loa.example.invalid/api/bulletins?secret=secret:LOA_SECRET'
DATA=$WORK/src/bantin/data/campaigns
b campaign apply "$DATA/loa-cds.yaml" "$DATA/mang-xa-hoi-cds.yaml" "$DATA/chuyen-muc-cds.yaml" \
  --actor fixture --now 2026-12-01T04:00
b approve --campaign chuyen-muc-cds --until 2026-12-02 --actor fixture --now 2026-12-01T04:10
b dispatch --once --now 2026-12-01T05:30
b dispatch --once --now 2026-12-01T08:00
b receipts add --key "$("$PY" - <<'PYEOF'
from bantin.config import load_settings
from bantin.core.db import Database
from sqlalchemy import text
db = Database(load_settings().db_url)
with db.engine.connect() as c:
    print(c.execute(text("select idempotency_key from publication where status='published' "
                         "and unit_code='29641' order by id limit 1")).scalar_one())
PYEOF
)" --unit 29641 --aired-at 2026-12-01T05:31 --duration 95 --actor fixture --now 2026-12-01T06:00
b audit verify
b records --help >/dev/null

mkdir -p "$OUT"
"$PY" - "$BANTIN_HOME/bantin.db" "$OUT/bantin.db" <<'PYEOF'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sys.argv[2]
import os
if os.path.exists(dst):
    os.remove(dst)
out = sqlite3.connect(dst)
src.backup(out)          # one file, no -wal beside it
out.execute("PRAGMA journal_mode=DELETE")
out.execute("VACUUM")
out.close()
PYEOF
{ echo "# TEST-ONLY Fernet key for tests/fixtures/v0.1.0/bantin.db; never use it anywhere else"; cat "$BANTIN_HOME/secret.key"; } > "$OUT/secret.key"
chmod 600 "$OUT/secret.key"
ls -l "$OUT"

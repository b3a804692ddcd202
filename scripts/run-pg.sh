#!/usr/bin/env bash
# Start bantin on a local PostgreSQL with N runners and the web desk (docs/scaling.md).
#
#   scripts/run-pg.sh            # RUNNERS=3 by default; or: RUNNERS=5 scripts/run-pg.sh
#   make run-pg RUNNERS=3        # the same through make
#
# The server is a private cluster in $BANTIN_HOME/pg (initdb on first use, pg_ctl as the
# tests do), listening only on a unix socket in that folder: nothing is reachable from
# outside. As root, the server runs as the `postgres` OS user (initdb refuses root).
# bantin is initialised there (migrations, the demo campaigns on outbox channels, the
# first admin), then N `bantin run` and one `bantin serve` start; Ctrl-C stops all of
# them and the server.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNNERS="${RUNNERS:-3}"
BIN="${BIN:-.venv/bin}"
export BANTIN_HOME="${BANTIN_HOME:-$PWD/var}"
PGDIR="$BANTIN_HOME/pg"
INITDB="$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)"
PGBIN="$(dirname "$(readlink -f "${INITDB:-/nonexistent}")")"  # psql, createdb live beside it
[ -x "$PGBIN/pg_ctl" ] || { echo "run-pg: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }

as_server() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$PGDIR"
if [ "$(id -u)" -eq 0 ]; then
    # bantin keeps its home closed to others; the server's user passes through as group.
    chgrp postgres "$BANTIN_HOME" && chmod g+x "$BANTIN_HOME"
    chown postgres:postgres "$PGDIR"
fi
if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
    as_server "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >/dev/null
fi
as_server "$PGBIN/pg_ctl" start -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
    -o "-c listen_addresses='' -k $PGDIR -c max_connections=200" >/dev/null
stop_server() { as_server "$PGBIN/pg_ctl" stop -D "$PGDIR/data" -m fast -w >/dev/null || true; }
trap stop_server EXIT

as_server "$PGBIN/createdb" -h "$PGDIR" -U postgres bantin 2>/dev/null || true  # exists
export BANTIN_DB="postgresql+psycopg://postgres@/bantin?host=$PGDIR"

"$BIN/bantin" init
"$BIN/bantin" demo setup
"$BIN/bantin" user bootstrap || true  # an admin exists already on a second start

pids=()
stop_all() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do  # runners finish sends in flight (up to a minute)
        for _ in $(seq 1 900); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    stop_server
}
trap stop_all EXIT INT TERM
for i in $(seq 1 "$RUNNERS"); do
    "$BIN/bantin" run & pids+=($!)
done
echo "run-pg: $RUNNERS runners on $BANTIN_DB; desk: http://127.0.0.1:8080/"
"$BIN/bantin" serve & pids+=($!)
wait -n "${pids[@]}"

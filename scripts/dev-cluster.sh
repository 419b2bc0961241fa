#!/usr/bin/env bash
# Start Redis, PostgreSQL and three chat-server nodes on this machine, for a person to try the
# cluster (docs/CLUSTER.md). Everything lives in a temporary directory and stops on Ctrl-C.
#
#   scripts/dev-cluster.sh            # nodes on 127.0.0.1:7001, 7002, 7003
#   chat-client 127.0.0.1:7001 --name alice     # and another on :7002
#
# Needs redis-server and PostgreSQL's initdb/postgres (Debian: apt-get install redis-server postgresql).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_PORT=${BASE_PORT:-7001}
REDIS_PORT=${REDIS_PORT:-6390}
PG_PORT=${PG_PORT:-5440}
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/framechat-dev-cluster.XXXXXX")
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$ROOT"
}
trap cleanup EXIT INT TERM

pg_bin() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}
PG_BIN=$(pg_bin)
[ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL found (initdb); install postgresql" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "no redis-server found; install redis-server" >&2; exit 1; }

# PostgreSQL refuses to run as root: run it as the postgres user then.
AS=()
if [ "$(id -u)" = 0 ]; then
  AS=(setpriv --reuid="$(id -u postgres)" --regid="$(id -g postgres)" --clear-groups --)
  chown postgres: "$ROOT"
fi

[ -f dist/server/cli.js ] || npm run build >/dev/null

echo "redis on 127.0.0.1:$REDIS_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$ROOT" --save '' --appendonly no >"$ROOT/redis.log" 2>&1 &
PIDS+=($!)

echo "postgres on 127.0.0.1:$PG_PORT"
"${AS[@]}" "$PG_BIN/initdb" -D "$ROOT/pg" -U postgres --auth=trust --encoding=UTF8 --no-sync >"$ROOT/initdb.log" 2>&1
"${AS[@]}" "$PG_BIN/postgres" -D "$ROOT/pg" -p "$PG_PORT" -k "$ROOT" -c listen_addresses=127.0.0.1 >"$ROOT/pg.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  node -e "const pg=require('pg');const c=new pg.Client('postgres://postgres@127.0.0.1:$PG_PORT/postgres');c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))" && break
  sleep 0.1
done

for i in 1 2 3; do
  port=$((BASE_PORT + i - 1))
  node bin/chat-server.js start --host 127.0.0.1 --port "$port" --node-id "n$i" \
    --redis "redis://127.0.0.1:$REDIS_PORT" --database "postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
    >"$ROOT/n$i.out" 2>"$ROOT/n$i.log" &
  PIDS+=($!)
  # The first node creates the schema; the others find it.
  for _ in $(seq 100); do grep -q listening "$ROOT/n$i.out" 2>/dev/null && break; sleep 0.1; done
  sed "s/^/[n$i] /" "$ROOT/n$i.out"
done

echo "three nodes on 127.0.0.1:$BASE_PORT-$((BASE_PORT + 2)); logs in $ROOT; Ctrl-C stops everything"
wait

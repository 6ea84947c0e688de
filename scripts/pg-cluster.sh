#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and benchmarks: never the system service.
#   scripts/pg-cluster.sh start DIR [--durable]   initdb + pg_ctl start on a free port; prints the database URL
#   scripts/pg-cluster.sh stop DIR                stops it (the directory can then be removed)
# Without --durable the cluster runs with fsync=off (tests); benchmarks that compare durability use --durable.
# As root, the cluster runs as the postgres user (initdb refuses root).
set -euo pipefail
command="${1:?start or stop}" dir="${2:?a directory}"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -n "$PGBIN" ]] || { echo "PostgreSQL is not installed (scripts/install-deps.sh --test installs postgresql-15)" >&2; exit 1; }
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
case "$command" in
  start)
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "'$PGBIN/initdb' -D '$dir/data' -A trust -U zt -E UTF8 --locale=C.UTF-8 >'$dir/initdb.log' 2>&1"
    options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=600"
    [[ "${3:-}" == "--durable" ]] || options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    as_owner "'$PGBIN/pg_ctl' -D '$dir/data' -o '$options' -l '$dir/server.log' -w start >/dev/null"
    as_owner "'$PGBIN/createdb' -h 127.0.0.1 -p $port -U zt zerotrip"
    echo "postgres://zt@127.0.0.1:$port/zerotrip?sslmode=disable"
    ;;
  stop)
    [[ -d "$dir/data" ]] && as_owner "'$PGBIN/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1" || true
    ;;
  *) echo "usage: $0 start|stop DIR [--durable]" >&2; exit 2 ;;
esac

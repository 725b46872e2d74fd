#!/usr/bin/env bash
# Runs a command with a real, throwaway PostgreSQL and Redis on 127.0.0.1:
#
#   scripts/test-services.sh .venv/bin/python -m pytest
#
# The command sees DATABASE_URL (database "autoattendant", user postgres, trust auth), REDIS_URL
# and FAST_PASSWORD_HASHER=1. Both servers are stopped and their files removed when it ends, and
# its exit status is ours. Services whose URL is already set are used as they are. Missing
# binaries come from Debian's packages (postgresql, redis-server), so this works as root on a
# fresh Debian 12 machine, in CI and without a terminal.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 command [args...]" >&2
  exit 2
fi
# espeak-ng and sox (announcements) and sipp (call tests) are needed whichever services are used.
bash "$(dirname "${BASH_SOURCE[0]}")/system-deps.sh" --tests
if [[ -n "${DATABASE_URL:-}" && -n "${REDIS_URL:-}" ]]; then
  exec "$@"
fi
need_pg=$([[ -z "${DATABASE_URL:-}" ]] && echo 1 || echo 0)
need_redis=$([[ -z "${REDIS_URL:-}" ]] && echo 1 || echo 0)

log() { echo "test-services: $*" >&2; }
pg_bindir() { find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# PostgreSQL refuses to run as root: as root its commands run as the postgres system user.
as_pg() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

install_packages() {
  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || { log "please install: $*"; exit 1; }
    sudo=(sudo -n)
  fi
  log "installing $* from Debian's packages"
  # Keep apt from starting the packages' own system-wide servers: ours are throwaway ones.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    added_policy=1
  fi
  local status=0
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
  } </dev/null >/dev/null || status=$?
  if [[ $added_policy -eq 1 ]]; then "${sudo[@]}" rm -f "$policy"; fi
  if [[ $status -ne 0 ]]; then log "apt-get failed ($status)"; exit "$status"; fi
}

missing=()
if [[ $need_pg -eq 1 && -z "$(pg_bindir)" ]]; then missing+=(postgresql); fi
if [[ $need_redis -eq 1 ]] && ! command -v redis-server >/dev/null; then missing+=(redis-server); fi
if [[ ${#missing[@]} -gt 0 ]]; then install_packages "${missing[@]}"; fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-services.XXXXXX")
chmod 755 "$tmp"
pgdata="$tmp/pg/data"
redis_pid=""
pg_started=0

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local status=$?
  set +e
  if [[ -n $redis_pid ]]; then
    kill "$redis_pid" 2>/dev/null
    wait "$redis_pid" 2>/dev/null
  fi
  if [[ $pg_started -eq 1 ]]; then
    as_pg "$bindir/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ $need_pg -eq 1 ]]; then
  bindir=$(pg_bindir)
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  mkdir "$tmp/pg"
  [[ $EUID -eq 0 ]] && chown postgres: "$tmp/pg"
  if ! as_pg "$bindir/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$tmp/initdb.log" 2>&1; then
    cat "$tmp/initdb.log" >&2
    exit 1
  fi
  pg_port=$(free_port)
  # Throwaway data: durability off for speed; TCP on loopback only, its socket in the temp dir.
  cat >>"$pgdata/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$tmp/pg'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  pg_started=1
  if ! as_pg "$bindir/pg_ctl" -D "$pgdata" -l "$tmp/pg/server.log" -w -t 60 start >/dev/null; then
    cat "$tmp/pg/server.log" >&2
    exit 1
  fi
  as_pg "$bindir/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres autoattendant
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/autoattendant"
  log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port"
fi

if [[ $need_redis -eq 1 ]]; then
  mkdir "$tmp/redis"
  redis_port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --dir "$tmp/redis" --logfile "$tmp/redis/server.log" --daemonize no </dev/null &
  redis_pid=$!
  for _ in $(seq 100); do
    if [[ $(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null) == PONG ]]; then break; fi
    if ! kill -0 "$redis_pid" 2>/dev/null; then cat "$tmp/redis/server.log" >&2; exit 1; fi
    sleep 0.1
  done
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  log "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$redis_port"
fi

export FAST_PASSWORD_HASHER=1
status=0
"$@" || status=$?
exit "$status"

#!/usr/bin/env bash
# A throwaway PostgreSQL for the end-to-end tests (tests/e2e) and bench/crash_harness.py.
#
#   bash scripts/postgres.sh install        # Debian's server packages, if missing (root; apt-get)
#   bash scripts/postgres.sh check          # exit 0 when the server binaries are there
#   bash scripts/postgres.sh start [DIR]    # initdb + start on 127.0.0.1:<free port>; prints the DSN
#   bash scripts/postgres.sh stop DIR       # stop it and delete DIR
#
# The tests do not need `start`/`stop`: their session fixture (tests/e2e/postgres.py) starts
# and removes its own server. `install` is what CI runs. PostgreSQL refuses to run as root,
# so as root the server commands run as the `postgres` user. The server listens on loopback
# only, trusts local connections and keeps no durability (fsync off): it is for tests.
set -euo pipefail

bin_dir() {
  if [[ -n "${TAP_TELEGRAM_PG_BIN:-}" && -x "${TAP_TELEGRAM_PG_BIN}/pg_ctl" ]]; then
    echo "$TAP_TELEGRAM_PG_BIN"
    return 0
  fi
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
    echo "$dir"
    return 0
  fi
  return 1
}

as_server_user() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd_install() {
  if dir="$(bin_dir)"; then
    echo "postgres.sh: PostgreSQL server found in $dir"
    return 0
  fi
  if [[ "$(id -u)" != 0 ]]; then
    echo "postgres.sh: PostgreSQL server binaries are missing; as root run: apt-get install -y postgresql" >&2
    exit 1
  fi
  echo "postgres.sh: installing Debian's postgresql (apt-get) ..."
  # Don't let the package create and start the default cluster on port 5432: the tests
  # start their own server. Only written when postgresql-common has not set it up yet.
  if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confold postgresql >/dev/null
  dir="$(bin_dir)" || { echo "postgres.sh: install finished but no server binaries found" >&2; exit 1; }
  echo "postgres.sh: PostgreSQL server installed in $dir"
}

cmd_check() {
  if dir="$(bin_dir)"; then
    echo "$dir"
  else
    echo "postgres.sh: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin; run: bash scripts/postgres.sh install" >&2
    exit 1
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cmd_start() {
  local bin root port
  bin="$(cmd_check)"
  root="${1:-$(mktemp -d /tmp/tap-telegram-pg-XXXXXX)}"
  mkdir -p "$root"
  port="$(free_port)"
  if [[ "$(id -u)" == 0 ]]; then chown postgres: "$root"; fi
  chmod 700 "$root"
  as_server_user "$bin/initdb" -D "$root/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
  as_server_user "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 60 \
    -o "-p $port -k $root/data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  echo "$port" >"$root/port"
  echo "postgres.sh: started in $root"
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

cmd_stop() {
  local root="${1:?usage: postgres.sh stop DIR}"
  local bin
  bin="$(cmd_check)"
  if [[ -f "$root/data/postmaster.pid" ]]; then
    as_server_user "$bin/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null ||
      as_server_user "$bin/pg_ctl" -D "$root/data" -m immediate -w stop >/dev/null || true
  fi
  rm -rf "$root"
  echo "postgres.sh: stopped and removed $root"
}

case "${1:-}" in
  install) cmd_install ;;
  check) cmd_check ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *)
    echo "usage: $0 install | check | start [DIR] | stop DIR" >&2
    exit 2
    ;;
esac

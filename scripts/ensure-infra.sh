#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ answer on 127.0.0.1 before `make run` / `make test`:
# already running -> nothing to do; installed but stopped -> start them; a Docker engine ->
# `docker compose up -d postgres rabbitmq`; a Debian machine without them -> apt-get install.
# Otherwise stop and say exactly what to install.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # name port seconds
  for _ in $(seq 1 "$3"); do port_open "$2" && return 0; sleep 1; done
  echo "$1 did not open port $2 within $3 s" >&2; return 1
}
docker_engine() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

ensure_postgres() {
  port_open 5432 && return 0
  if [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "Starting the local PostgreSQL..."
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  elif docker_engine; then
    docker compose up -d postgres
  elif command -v apt-get >/dev/null && as_root true; then
    echo "Installing PostgreSQL from Debian's packages..."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
    version=$(ls /etc/postgresql | head -n1)
    # Local development only: let the loopback connect without a password, as on CI machines.
    hba=/etc/postgresql/$version/main/pg_hba.conf
    as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba" || as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  else
    echo "PostgreSQL is not running and cannot be installed here. Install it (Debian: apt-get install postgresql)," >&2
    echo "or set CLINIC_PG_URL to a PostgreSQL 15+ server you can create databases on." >&2
    exit 1
  fi
  wait_for PostgreSQL 5432 60
}

# Two replicas of every service, the test stack and the benchmarks hold more than PostgreSQL's default 100
# connections at once. Raised on the local cluster only (a restart); another server is the operator's choice.
MIN_PG_CONNECTIONS=300
ensure_postgres_capacity() {
  command -v psql >/dev/null && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ] || return 0
  local current
  current=$(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SHOW max_connections' 2>/dev/null) || return 0
  [ "$current" -ge "$MIN_PG_CONNECTIONS" ] && return 0
  echo "Raising PostgreSQL max_connections from $current to $MIN_PG_CONNECTIONS (restart)..."
  psql -h 127.0.0.1 -U postgres -d postgres -qc "ALTER SYSTEM SET max_connections = $MIN_PG_CONNECTIONS"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main restart
  wait_for PostgreSQL 5432 60
}

ensure_rabbitmq() {
  if port_open 5672; then return 0; fi
  if command -v rabbitmq-server >/dev/null || [ -x /usr/sbin/rabbitmq-server ]; then
    echo "Starting the local RabbitMQ..."
    as_root rabbitmq-server -detached
  elif docker_engine; then
    docker compose up -d rabbitmq
  elif command -v apt-get >/dev/null && as_root true; then
    echo "Installing RabbitMQ from Debian's packages..."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >/dev/null
    port_open 5672 || as_root rabbitmq-server -detached
  else
    echo "RabbitMQ is not running and cannot be installed here. Install it (Debian: apt-get install rabbitmq-server)," >&2
    echo "or set CLINIC_AMQP_URL to a RabbitMQ 3.10+ broker." >&2
    exit 1
  fi
  wait_for RabbitMQ 5672 90
  # The port opens before the broker accepts AMQP sessions: wait for a real ping when we can.
  if command -v rabbitmq-diagnostics >/dev/null; then
    for _ in $(seq 1 60); do as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1 && break; sleep 1; done
  fi
}

case "${CLINIC_PG_URL:-}" in *127.0.0.1*|*localhost*|"") ensure_postgres; ensure_postgres_capacity ;; esac
case "${CLINIC_AMQP_URL:-}" in *127.0.0.1*|*localhost*|"") ensure_rabbitmq ;; esac
echo "PostgreSQL and RabbitMQ answer."

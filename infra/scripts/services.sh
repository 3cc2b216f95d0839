#!/usr/bin/env bash
# Starts (or reuses) the real servers the tests need: a Postgres server and a single-node Kafka broker (up|down|status).
#
#   Postgres  postgres://qts:qts@127.0.0.1:55432/qts   (Debian's postgresql package; data in var/pg/data)
#   Kafka     127.0.0.1:19092, KRaft, controller 19093  (Apache Kafka 3.9 jars from Maven Central; data in var/kafka)
#
# Idempotent: a server already answering on its port is reused, whoever started it (two clones of the
# repo on one machine share one pair of servers). `down` stops only the servers this checkout started.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VAR="$REPO/var"

PG_HOST=127.0.0.1
PG_PORT=55432
PG_URL_DEFAULT="postgres://qts:qts@$PG_HOST:$PG_PORT/qts"

KAFKA_HOST=127.0.0.1
KAFKA_PORT=19092
KAFKA_CONTROLLER_PORT=19093
KAFKA_DIR="$VAR/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_LOG="$KAFKA_DIR/server.log"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_POM="$REPO/infra/kafka/pom.xml"
# 2 cores shared with the test runners: keep the broker small (override with QTS_KAFKA_HEAP).
KAFKA_HEAP=${QTS_KAFKA_HEAP:-"-Xms128m -Xmx512m"}
READY_TIMEOUT=${QTS_SERVICES_TIMEOUT:-90}

say() { echo "services: $*"; }
die() { echo "services: ERROR: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# A plain TCP connect; bash's /dev/tcp avoids needing nc on a fresh machine.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

tail_log() {
  [ -f "$1" ] || return 0
  echo "---- last lines of $1 ----" >&2
  tail -n "${2:-40}" "$1" >&2 || true
  echo "----" >&2
}

APT_UPDATED=
apt_install() {
  is_root || die "need '$*' installed (run as root so this script can apt-get install it)"
  if [ -z "$APT_UPDATED" ]; then
    say "apt-get update"
    apt-get update -qq >"$VAR/apt.log" 2>&1 || { tail_log "$VAR/apt.log"; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$VAR/apt.log" 2>&1 \
    || { tail_log "$VAR/apt.log"; die "apt-get install $* failed"; }
}

# Serialise concurrent `up`/`down` (two engineers running npm test at once): the ports are machine-wide, so the
# lock is too. Every server we start gets `9>&-` so it does not inherit (and hold) this lock forever.
take_lock() {
  exec 9>/tmp/qts-services.lock
  flock -w 600 9 || die "another services.sh has held /tmp/qts-services.lock for 10 minutes"
}

# ---------------------------------------------------------------- Postgres

pg_bin() {
  local d best=
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/postgres" ] && best="$d"; done
  [ -n "$best" ] && printf '%s\n' "$best"
  return 0
}

# Postgres refuses to run as root, so as root its tools run as the postgres OS user. cd / first: that user may
# not be allowed into the current directory, and pg_ctl fails when it cannot resolve it.
as_pg() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

# The data dir lives in the repo (var/pg) when the postgres user can reach it; a checkout under a private home
# directory is not traversable by that user, so then it goes to /tmp, keyed by the repo path.
PG_DIR=
pg_pick_dir() {
  local create=${1:-}
  local in_repo="$VAR/pg" in_tmp
  in_tmp="/tmp/qts-pg-$(printf '%s' "$REPO" | sha256sum | cut -c1-12)"
  if [ -z "$create" ]; then
    if [ -d "$in_repo/data" ]; then PG_DIR=$in_repo; elif [ -d "$in_tmp/data" ]; then PG_DIR=$in_tmp; else PG_DIR=; fi
    return 0
  fi
  mkdir -p "$in_repo"
  if is_root; then chown postgres:postgres "$in_repo"; fi
  chmod 700 "$in_repo"
  if as_pg test -w "$in_repo" 2>/dev/null; then PG_DIR=$in_repo; return 0; fi
  mkdir -p "$in_tmp"
  if is_root; then chown postgres:postgres "$in_tmp"; fi
  chmod 700 "$in_tmp"
  PG_DIR=$in_tmp
}

pg_psql_admin() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres "$@"; }

pg_write_config() {
  local data=$1
  # Rewritten on every start so a change here reaches existing data dirs; postgresql.conf only includes it.
  as_pg tee "$data/qts.conf" >/dev/null <<EOF
# Written by infra/scripts/services.sh on each start; edit that script, not this file.
listen_addresses = '$PG_HOST'
port = $PG_PORT
# TCP only: a socket path under the repo can exceed the 107-byte limit, and /var/run/postgresql may not exist.
unix_socket_directories = ''
max_connections = 200
# A throwaway test server: speed matters, surviving an OS crash does not.
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = warning
EOF
  as_pg tee "$data/pg_hba.conf" >/dev/null <<EOF
# Written by infra/scripts/services.sh. Loopback only; the postgres admin role without a password so the
# script can create roles, every other role (qts) by password.
host all postgres 127.0.0.1/32 trust
host all all      127.0.0.1/32 scram-sha-256
EOF
}

pg_ensure_role_and_db() {
  pg_psql_admin <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qts') THEN
    CREATE ROLE qts LOGIN SUPERUSER PASSWORD 'qts';
  END IF;
END $$;
SQL
  if [ "$(pg_psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'qts'")" != 1 ]; then
    pg_psql_admin -c 'CREATE DATABASE qts OWNER qts'
  fi
}

pg_check_login() {
  PGPASSWORD=qts PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -tA -h "$PG_HOST" -p "$PG_PORT" -U qts -d qts \
    -c 'SELECT version()' 2>&1
}

pg_up() {
  PG_BIN=$(pg_bin)
  if [ -z "$PG_BIN" ]; then
    apt_install postgresql
    PG_BIN=$(pg_bin)
    [ -n "$PG_BIN" ] || die "postgresql installed but no /usr/lib/postgresql/*/bin/postgres found"
  fi

  if port_open "$PG_HOST" "$PG_PORT"; then
    pg_pick_dir
    if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then say "postgres: already running (data $PG_DIR/data)"
    else say "postgres: reusing the server already on $PG_HOST:$PG_PORT"; fi
  else
    pg_pick_dir create
    local data="$PG_DIR/data" log="$PG_DIR/server.log"
    if [ ! -s "$data/PG_VERSION" ]; then
      say "postgres: initdb $data ($("$PG_BIN/postgres" --version))"
      rm -rf "$data"
      as_pg "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --no-locale --auth=trust -N >"$PG_DIR/initdb.log" 2>&1 \
        || { tail_log "$PG_DIR/initdb.log"; die "initdb failed"; }
      echo "include 'qts.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
    fi
    pg_write_config "$data"
    say "postgres: starting on $PG_HOST:$PG_PORT (data $data)"
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null 9>&- \
      || { tail_log "$log"; die "postgres did not start (log: $log)"; }
  fi

  local i
  for ((i = 0; i < 30; i++)); do
    "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" && break
    sleep 1
  done
  # A reused server may have been started some other way, without the trusted admin role: then the qts login
  # below is what decides.
  pg_ensure_role_and_db 2>"$VAR/pg-admin.log" \
    || say "postgres: could not ensure role/database qts as the postgres role ($(head -n1 "$VAR/pg-admin.log"))"
  local version
  version=$(pg_check_login) || { echo "$version" >&2; die "cannot log in as qts on $PG_HOST:$PG_PORT"; }
  say "postgres: ready at $PG_URL_DEFAULT (${version%% on *})"
}

pg_down() {
  PG_BIN=$(pg_bin)
  pg_pick_dir
  if [ -n "$PG_BIN" ] && [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    say "postgres: stopping (data $PG_DIR/data)"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null || die "pg_ctl stop failed"
  else
    say "postgres: not started by this checkout"
  fi
}

pg_status() {
  PG_BIN=$(pg_bin)
  pg_pick_dir
  if port_open "$PG_HOST" "$PG_PORT"; then
    local owner="another checkout or process"
    [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] && owner="this checkout, data $PG_DIR/data"
    say "postgres: up on $PG_HOST:$PG_PORT ($owner)"
  else
    say "postgres: down"
    return 1
  fi
}

# ---------------------------------------------------------------- Kafka

# The jars are resolved once into var/kafka/libs; the pom's hash marks which pom they came from, and a
# temp dir + rename means an interrupted download never leaves a half-filled libs dir that looks complete.
kafka_resolve_libs() {
  local want have=
  want=$(sha256sum "$KAFKA_POM" | cut -c1-64)
  [ -f "$KAFKA_LIBS/.pom.sha256" ] && have=$(cat "$KAFKA_LIBS/.pom.sha256")
  if [ "$want" = "$have" ] && compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null || apt_install maven
  say "kafka: resolving broker jars with Maven (infra/kafka/pom.xml)"
  rm -rf "$KAFKA_LIBS.tmp"
  mvn -q -B -ntp -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS.tmp" >"$KAFKA_DIR/maven.log" 2>&1 \
    || { tail_log "$KAFKA_DIR/maven.log"; die "maven could not resolve the Kafka jars"; }
  echo "$want" >"$KAFKA_LIBS.tmp/.pom.sha256"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
}

# Alive and really our broker: after a reboot the pid in a stale pid file may belong to an unrelated process,
# which `down` must not kill.
kafka_pid_alive() {
  local pid
  [ -s "$KAFKA_PID" ] || return 1
  pid=$(cat "$KAFKA_PID")
  # Before the JVM takes over the pid, it is kafka-node.sh formatting the data dir.
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
    | grep -qF -e "kafka.Kafka $KAFKA_DIR/server.properties" -e "kafka-node.sh $KAFKA_DIR $KAFKA_PORT "
}

# Ready means a client can fetch cluster metadata listing the broker: in KRaft a broker only appears there once
# the controller has unfenced it, while the port accepts connections a few seconds earlier than that.
KAFKA_PROBE_JS='
const { createRequire } = require("node:module");
const req = createRequire(process.cwd() + "/");
let kafkajs;
try { kafkajs = req("kafkajs"); } catch { try { kafkajs = createRequire(process.cwd() + "/adapters/")("kafkajs"); } catch { process.exit(3); } }
const { Kafka, logLevel } = kafkajs;
const admin = new Kafka({ clientId: "qts-services-probe", brokers: [process.argv[1]], logLevel: logLevel.NOTHING,
  connectionTimeout: 3000, requestTimeout: 5000, retry: { retries: 0 } }).admin();
(async () => {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.brokers.length === 0) throw new Error("no broker registered yet");
  await admin.listTopics();
  await admin.disconnect();
})().then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });
'

kafka_probe() {
  (cd "$REPO" && timeout 20 node -e "$KAFKA_PROBE_JS" "$KAFKA_HOST:$KAFKA_PORT" >/dev/null 2>&1)
}

kafka_wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) rc
  while ((SECONDS < deadline)); do
    if [ -n "${1:-}" ] && ! kafka_pid_alive; then
      tail_log "$KAFKA_LOG"
      die "kafka exited during startup (log: $KAFKA_LOG; to reset its data: rm -rf $KAFKA_DATA)"
    fi
    if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
      rc=0
      kafka_probe || rc=$?
      if [ "$rc" = 0 ]; then return 0; fi
      if [ "$rc" = 3 ] || ! command -v node >/dev/null; then
        # No kafkajs yet (script run before npm install): fall back to the broker's own "started" line.
        if [ -z "${1:-}" ] || grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null; then return 0; fi
      fi
    fi
    sleep 1
  done
  tail_log "$KAFKA_LOG"
  die "kafka not ready on $KAFKA_HOST:$KAFKA_PORT after ${READY_TIMEOUT}s (log: $KAFKA_LOG)"
}

kafka_up() {
  mkdir -p "$KAFKA_DIR"
  # Resolved even when a running broker is reused: the fault tests start brokers of their own from these jars.
  command -v java >/dev/null || apt_install default-jre-headless
  kafka_resolve_libs
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    if kafka_pid_alive; then say "kafka: already running (pid $(cat "$KAFKA_PID"))"
    else say "kafka: reusing the broker already on $KAFKA_HOST:$KAFKA_PORT"; fi
    kafka_wait_ready
  elif kafka_pid_alive; then
    # Our broker is still starting (an earlier `up` timed out or was interrupted): give it the same time again.
    say "kafka: broker pid $(cat "$KAFKA_PID") is starting; waiting"
    kafka_wait_ready ours
  else
    [ -f "$KAFKA_LOG" ] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
    rm -f "$KAFKA_PID"
    say "kafka: starting broker $(basename "$(compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" | head -n1)" .jar) on $KAFKA_HOST:$KAFKA_PORT"
    # kafka-node.sh writes the config, formats the data dir on first use and execs the JVM. setsid: its own
    # session, so it outlives npm test and ignores the terminal's signals; the wrapper writes its own pid and
    # then execs, so the pid file names the JVM itself.
    (
      cd "$KAFKA_DIR"
      QTS_KAFKA_LIBS="$KAFKA_LIBS" QTS_KAFKA_HEAP="$KAFKA_HEAP" QTS_KAFKA_HOST="$KAFKA_HOST" \
        setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID" bash "$REPO/infra/scripts/kafka-node.sh" "$KAFKA_DIR" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" \
        </dev/null >"$KAFKA_LOG" 2>&1 9>&- &
    )
    # The pid file is written by the child; wait for it so the liveness checks below do not race it.
    local i
    for ((i = 0; i < 50; i++)); do [ -s "$KAFKA_PID" ] && break; sleep 0.1; done
    kafka_wait_ready ours
  fi
  say "kafka: ready at $KAFKA_HOST:$KAFKA_PORT"
}

kafka_down() {
  if kafka_pid_alive; then
    local pid i
    pid=$(cat "$KAFKA_PID")
    say "kafka: stopping broker pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    # A controlled shutdown takes a few seconds; after 30 s give up on it.
    for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then say "kafka: still running after 30 s, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$KAFKA_PID"
  else
    rm -f "$KAFKA_PID"
    say "kafka: not started by this checkout"
  fi
}

kafka_status() {
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    local owner="another checkout or process"
    kafka_pid_alive && owner="this checkout, pid $(cat "$KAFKA_PID")"
    say "kafka: up on $KAFKA_HOST:$KAFKA_PORT ($owner)"
  else
    say "kafka: down"
    return 1
  fi
}

# ---------------------------------------------------------------- main

cmd=${1:-up}
mkdir -p "$VAR"
case "$cmd" in
  up)
    take_lock
    start=$EPOCHREALTIME
    pg_up
    kafka_up
    say "up in $(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $start }")s  PG_URL=${PG_URL:-$PG_URL_DEFAULT}  KAFKA_BROKERS=${KAFKA_BROKERS:-$KAFKA_HOST:$KAFKA_PORT}"
    bash "$REPO/infra/scripts/chromium.sh"
    ;;
  down)
    take_lock
    kafka_down
    pg_down
    ;;
  status)
    rc=0
    pg_status || rc=1
    kafka_status || rc=1
    exit "$rc"
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Runs one single-node KRaft Kafka broker in the foreground: kafka-node.sh DIR PORT CONTROLLER_PORT.
#
# DIR holds its config (server.properties, log4j.properties) and its log data (DIR/data, formatted on first use);
# started again on the same DIR it recovers that data, like a restarted server. The jars come from
# QTS_KAFKA_LIBS (default var/kafka/libs, resolved by services.sh from infra/kafka/pom.xml). The script execs
# the JVM, so the caller's pid is the broker's: SIGTERM is a controlled shutdown, SIGKILL a crash.
# services.sh runs the shared test broker through it; fault tests run their own brokers on other ports.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${1:?usage: kafka-node.sh DIR PORT CONTROLLER_PORT}
PORT=${2:?usage: kafka-node.sh DIR PORT CONTROLLER_PORT}
CONTROLLER_PORT=${3:?usage: kafka-node.sh DIR PORT CONTROLLER_PORT}
HOST=${QTS_KAFKA_HOST:-127.0.0.1}
LIBS=${QTS_KAFKA_LIBS:-$REPO/var/kafka/libs}
# 2 cores shared with the test runners: keep the broker small.
HEAP=${QTS_KAFKA_HEAP:-"-Xms128m -Xmx512m"}

compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null || { echo "kafka-node: no Kafka jars in $LIBS (run: bash infra/scripts/services.sh up)" >&2; exit 1; }
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

cat >"$DIR/server.properties" <<EOF
# Written by infra/scripts/kafka-node.sh on each start; edit that script, not this file.
# Single node, KRaft: this process is both broker and its own controller quorum.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/data
num.partitions=3
default.replication.factor=1
# One broker: internal topics cannot have more than one replica. Fewer partitions than the default 50 so the
# first consumer group / transaction on a fresh broker does not wait for 50 partitions to be created.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
# Tests join groups constantly; the 3 s default delay would be added to every first join.
group.initial.rebalance.delay.ms=0
# Tests create their topics through the admin API; auto-create stays on for ad-hoc use (tap, CLI).
auto.create.topics.enable=true
delete.topic.enable=true
EOF

cat >"$DIR/log4j.properties" <<'EOF'
# Written by infra/scripts/kafka-node.sh: broker logs go to stdout, which the caller redirects.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
# Per-partition chatter: every test topic would add dozens of lines.
log4j.logger.kafka.log=WARN
log4j.logger.org.apache.kafka.storage=WARN
log4j.logger.kafka.cluster=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF

read -r -a heap <<<"$HEAP"
java_cmd=(java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
  -Djava.awt.headless=true -Dlog4j.configuration="file:$DIR/log4j.properties" -Dkafka.logs.dir="$DIR" -cp "$LIBS/*")

if [ ! -f "$DIR/data/meta.properties" ]; then
  # A KRaft log dir must be formatted with a cluster id once: 16 random bytes, base64url without padding
  # (passed as --cluster-id=ID because an id may start with "-", which the option parser takes for a flag).
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  echo "kafka-node: formatting $DIR/data (cluster id $cluster_id)"
  rm -rf "$DIR/data"
  "${java_cmd[@]}" kafka.tools.StorageTool format --cluster-id="$cluster_id" --config "$DIR/server.properties" >"$DIR/format.log" 2>&1 \
    || { tail -n 40 "$DIR/format.log" >&2; echo "kafka-node: storage format failed" >&2; exit 1; }
fi

cd "$DIR"
exec "${java_cmd[@]}" kafka.Kafka "$DIR/server.properties"

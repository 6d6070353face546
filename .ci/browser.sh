#!/usr/bin/env bash
# The Debian packages the operations tests drive, installed when missing:
#   chromium                    the admin page is tested in a real headless browser (test/admin/)
#   python3-prometheus-client   the metrics are read with the official Prometheus client's parsers (test/telemetry/)
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || missing+=(python3-prometheus-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "--- apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
/usr/bin/chromium --version
/usr/bin/python3 -c 'import prometheus_client; print("python3-prometheus-client ok")'

#!/usr/bin/env bash
# Release artifacts for linux-x64 (the CI machine's platform): build, verify the checksums, run
# the binary's --version. `bun run release` without --targets builds all six platforms.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
bun scripts/release.ts --targets linux-x64 --out "$out"
(cd "$out" && sha256sum -c SHA256SUMS)
"$out/agentgateway-linux-x64" --version
rm -rf "$out"

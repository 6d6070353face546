#!/usr/bin/env bash
# The agent stage: Claude Code, Codex and Gemini CLI, headless and offline, against the gateway in
# front of provider emulators (test/agents/agents.e2e.ts). The agents (~1 GB) are a separate npm
# package with pinned versions and its own lockfile (test/agents/), so the product's own
# `bun install` stays small. Expects the project's dependencies installed (`bun install`), as
# .ci/run does first. Nothing is skipped: a failed install or a missing agent fails the stage.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v bun >/dev/null 2>&1; then
  BUN_VERSION="$(node -p 'require("./package.json").devDependencies.bun.replace(/^[^0-9]*/, "")')"
  tools="$(mktemp -d)"
  npm install --prefix "$tools" --no-save --no-audit --no-fund "bun@${BUN_VERSION}" >/dev/null
  export PATH="$tools/node_modules/.bin:$PATH"
fi
[ -d node_modules ] || bun install --frozen-lockfile

echo "--- agents: npm ci in test/agents (pinned: $(node -p 'Object.entries(require("./test/agents/package.json").dependencies).map(([k, v]) => k + "@" + v).join(" ")'))"
(cd test/agents && npm ci --no-audit --no-fund --loglevel=error)

echo "--- agents: the suite (each agent on an OpenAI-compatible backend, Bedrock, Gemini and Anthropic)"
timeout 1500 bun test --timeout 180000 ./test/agents/agents.e2e.ts

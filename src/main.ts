#!/usr/bin/env bun
/**
 * The `agentgateway` command.
 *
 *   agentgateway [config.yaml]        run with a config file (default ./config.yaml)
 *   agentgateway -f|--file <path|->   the same; "-" reads the config from stdin
 *   agentgateway -c|--config <yaml>   run with an inline config
 *   agentgateway --validate-only ...  check the config and exit (0 valid, 1 invalid)
 *   agentgateway -V | --version       print the version
 */
// first: it may replace the process before the rest is loaded (Bun's 256-request fetch cap)
import "./server/lift-upstream-limit.ts";
import { existsSync } from "node:fs";
import { formatIssues } from "./config/errors.ts";
import { loadConfigFile, loadConfigText } from "./config/load.ts";
import { watchConfigFile } from "./config/watch.ts";
import type { GatewayConfig } from "./config/model.ts";
import { startGateway } from "./server/gateway.ts";
import { createLogger } from "./telemetry/log.ts";
import { buildInfo } from "./build-info.ts";
import { startupWarning } from "./server/upstream-request-limit.ts";
import { guardProcess } from "./server/fault-guard.ts";

const USAGE = `agentgateway ${buildInfo.version}: an LLM gateway for the OpenAI SDKs (agentgateway config format)

usage:
  agentgateway [config.yaml]          run with a config file (default: ./config.yaml)
  agentgateway -f, --file <path|->    config file ("-" reads stdin)
  agentgateway -c, --config <yaml>    inline config (YAML or JSON)
  agentgateway --validate-only ...    check the config, print problems, exit 0 (valid) or 1
  agentgateway -V, --version          print the version (--version: JSON build info)
  agentgateway --healthcheck [url]    exit 0 when the readiness endpoint answers 200 (containers'
                                      HEALTHCHECK; default http://127.0.0.1:15021/healthz/ready)
  agentgateway -h, --help             this help

ports: admin page localhost:15000 (/ui), metrics [::]:15020 (/metrics), readiness [::]:15021 (/healthz/ready)
environment: LOG_FORMAT=json, ADMIN_ADDR / STATS_ADDR / READINESS_ADDR=ip:port|off, OTLP_ENDPOINT,
  and any $VAR the config references.
signals: SIGTERM / SIGINT drain in-flight requests and exit; the config file is reloaded when it changes
  and on SIGHUP.
docs: README.md (quick start, config reference, troubleshooting)`;

type Source = { kind: "file"; path: string } | { kind: "inline"; text: string } | { kind: "stdin" };

interface Cli {
  source: Source | undefined;
  validateOnly: boolean;
}

function parseArgs(argv: string[]): Cli | { exit: number; out: string } {
  let source: Source | undefined;
  let validateOnly = false;
  const setSource = (s: Source) => {
    if (source) throw new Error("give one config: a file, -f or -c (not several)");
    source = s;
  };
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const value = () => {
        const v = argv[++i];
        if (v === undefined) throw new Error(`${a} needs a value`);
        return v;
      };
      if (a === "-h" || a === "--help") return { exit: 0, out: USAGE };
      if (a === "-V") return { exit: 0, out: `agentgateway ${buildInfo.version}` };
      if (a === "--version") return { exit: 0, out: JSON.stringify(buildInfo, null, 2) };
      if (a === "--validate-only") validateOnly = true;
      else if (a === "-f" || a === "--file") {
        const v = value();
        setSource(v === "-" ? { kind: "stdin" } : { kind: "file", path: v });
      } else if (a.startsWith("--file=")) setSource({ kind: "file", path: a.slice(7) });
      else if (a === "-c" || a === "--config") setSource({ kind: "inline", text: value() });
      else if (a.startsWith("--config=")) setSource({ kind: "inline", text: a.slice(9) });
      else if (a.startsWith("-") && a !== "-") throw new Error(`unknown option ${a}`);
      else setSource(a === "-" ? { kind: "stdin" } : { kind: "file", path: a });
    }
  } catch (err) {
    return { exit: 2, out: `agentgateway: ${(err as Error).message}\n\n${USAGE}` };
  }
  if (!source && existsSync("config.yaml")) source = { kind: "file", path: "config.yaml" };
  return { source, validateOnly };
}

/** `--healthcheck`: the readiness endpoint, for images without curl (distroless). */
async function healthcheck(url: string | undefined): Promise<number> {
  const port = /:(\d+)$/.exec(process.env.READINESS_ADDR ?? "")?.[1] ?? "15021";
  try {
    const res = await fetch(url ?? `http://127.0.0.1:${port}/healthz/ready`, { signal: AbortSignal.timeout(3000) });
    console.log(`${res.status} ${(await res.text()).trim()}`);
    return res.status === 200 ? 0 : 1;
  } catch (err) {
    console.error(`not ready: ${(err as Error).message}`);
    return 1;
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args[0] === "--healthcheck") return healthcheck(args[1]);
  const cli = parseArgs(args);
  if ("exit" in cli) {
    (cli.exit === 0 ? console.log : console.error)(cli.out);
    return cli.exit;
  }
  if (!cli.source) {
    console.error(`agentgateway: no config given and no ./config.yaml here\n\n${USAGE}`);
    return 2;
  }
  const source = cli.source;
  const stdinText = source.kind === "stdin" ? await Bun.stdin.text() : undefined;
  const load = () =>
    source.kind === "file"
      ? loadConfigFile(source.path)
      : loadConfigText(source.kind === "inline" ? source.text : stdinText!, source.kind === "inline" ? "<inline config>" : "<stdin>");

  const loaded = load();
  if (!loaded.ok) {
    console.error(formatIssues(loaded.errors));
    return 1;
  }
  const config = loaded.value;
  if (cli.validateOnly) {
    const routes = [...config.binds.values()].reduce((n, b) => n + b.listeners.reduce((m, l) => m + l.router.routes.length, 0), 0);
    console.log(`config is valid: ${config.binds.size} bind(s), ${routes} route(s)`);
    return 0;
  }

  const logger = createLogger(config.logging);
  // lines wait up to 10 ms for their batch: whatever ends the process writes them first
  process.on("exit", () => logger.flush());
  const capped = startupWarning();
  if (capped) logger.warn(capped);
  let gateway;
  let quit = () => {};
  try {
    gateway = startGateway(config, { logger, quit: () => quit() });
    // the binary starts with JIT tier-up thresholds raised (`--compile-jit-policy`, package.json):
    // loading the config is run-once code, compiled for nothing; serving gets the normal policy
    Bun.unsafe.setJITPolicy(1);
    // from now on a bug in one exchange is logged instead of ending every other client's exchange
    guardProcess(logger);
  } catch (err) {
    logger.flush();
    console.error(`agentgateway: cannot start: ${(err as Error).message}`);
    return 1;
  }

  let stopWatching = () => {};
  if (source.kind === "file") {
    const path = source.path;
    const reload = (why: string) => {
      const next = loadConfigFile(path);
      if (!next.ok) {
        gateway.operations.configApplied(false);
        logger.error(`config reload failed; the previous config keeps serving\n${formatIssues(next.errors)}`);
        return;
      }
      try {
        const startupOnly = startupSettingsChanged(gateway.config, next.value);
        gateway.apply(next.value);
        gateway.operations.configApplied(true);
        logger.info("config reloaded", { binds: next.value.binds.size, trigger: why });
        if (startupOnly) logger.warn(`config reloaded, but ${startupOnly} change only at restart (as in agentgateway)`);
      } catch (err) {
        gateway.operations.configApplied(false);
        logger.error(`config reload failed: ${(err as Error).message}; the previous config keeps serving`);
      }
    };
    // the baseline is the text the running config came from: an edit made while the gateway
    // was starting is a change (the watcher checks once when it starts)
    stopWatching = watchConfigFile(path, config.source?.text.reveal() ?? (await Bun.file(path).text()), () => reload("file changed"));
    // SIGHUP re-reads the file now (where file events do not arrive: some network and container mounts)
    process.on("SIGHUP", () => reload("SIGHUP"));
  } else {
    process.on("SIGHUP", () => logger.warn("SIGHUP: the config came from the command line or stdin; there is no file to reload"));
  }

  const exitCode = await new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info(`${signal}: draining in-flight requests`);
      stopWatching();
      gateway.stop().then(() => resolve(0), () => resolve(1));
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
    quit = () => shutdown("POST /quitquitquit");
  });
  logger.flush();
  return exitCode;
}

/** The `config:` settings a reload does not apply (addresses, metrics, tracing), when they changed. */
function startupSettingsChanged(before: GatewayConfig, after: GatewayConfig): string | undefined {
  const view = (c: GatewayConfig) => JSON.stringify([c.admin, c.stats, c.readiness, [...c.metricsRemove], c.telemetryFields?.metrics.map((f) => f.name), c.tracing && { ...c.tracing, headers: [...c.tracing.headers.keys()], remove: [...c.tracing.remove] }]);
  return view(before) === view(after) ? undefined : "the admin, stats and readiness addresses, metrics and tracing";
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`agentgateway: ${(err as Error)?.message ?? String(err)}`);
    process.exit(1);
  },
);

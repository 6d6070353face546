/**
 * The log's two formats, as an operator's tools read them: `key=value` text (values bare when
 * they can be, else JSON strings) and one JSON object a line. Values of every kind round-trip,
 * non-ASCII and escapes included, and a batch of lines larger than the buffer arrives whole.
 */
import { describe, expect, test } from "bun:test";
import { accessLog } from "../../src/telemetry/access-log.ts";
import { createLogger, type Logger } from "../../src/telemetry/log.ts";
import type { ExchangeOutcome } from "../../src/telemetry/outcome.ts";

function capture(format: "text" | "json"): { logger: Logger; lines: () => string[] } {
  let out = "";
  const logger = createLogger({ format, level: "info", sink: { write: (bytes) => void (out += new TextDecoder().decode(bytes)) } });
  return {
    logger,
    lines: () => {
      logger.flush();
      return out.split("\n").slice(0, -1);
    },
  };
}

/** The fields of a text line after its time, level and target: bare values as they are, quoted ones parsed. */
function textFields(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const re = / ([^=\s]+)=("(?:[^"\\]|\\.)*"|[^\s]+)/g;
  for (const m of line.matchAll(re)) fields[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  return fields;
}

const awkward = ["", "plain", "with space", 'a "quote"', "a=b", "back\\slash", "tab\there", "new\nline", "café", "caf é", "emoji 🎉", "\u0000nul", "\u007fdel", "\u009bcsi", "lone \ud800 surrogate", "x".repeat(40_000)];

describe("text format", () => {
  test("a line is time, level, target, then key=value; values that need it are JSON strings", () => {
    const { logger, lines } = capture("text");
    logger.line("info", "request", { bind: 3000, route: "default/r0", path: "/v1/chat/completions", error: 'upstream said "no"', empty: "", eq: "a=b", ok: true, ratio: 0.25, neg: -3, gone: undefined, obj: { a: 1 } });
    const [line] = lines();
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info request /);
    expect(line!.slice(line!.indexOf(" request ") + 8)).toBe(' bind=3000 route=default/r0 path=/v1/chat/completions error="upstream said \\"no\\"" empty="" eq="a=b" ok=true ratio=0.25 neg=-3 obj="{\\"a\\":1}"');
  });

  test("every string value reads back as it was written", () => {
    const { logger, lines } = capture("text");
    for (const v of awkward) logger.line("info", "t", { v });
    const got = lines().map((l) => textFields(l).v);
    expect(got).toEqual(awkward);
  });

  test("control characters are escaped: a client's text cannot put terminal escapes into the log", () => {
    const { logger, lines } = capture("text");
    logger.line("info", "request", { "gen_ai.request.model": "gpt\u001b[31mred\u0000\u0085" });
    const [line] = lines();
    expect(line).toEndWith(' gen_ai.request.model="gpt\\u001b[31mred\\u0000\\u0085"');
    expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});

describe("JSON format", () => {
  test("one object a line with time, level and target first; undefined left out, NaN null", () => {
    const { logger, lines } = capture("json");
    logger.line("warn", "gateway", { message: "hello", n: 42, big: 2 ** 60, nan: Number.NaN, gone: undefined, nested: { list: [1, "two"] }, fn: () => 1 });
    const [line] = lines();
    const parsed = JSON.parse(line!) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["time", "level", "target", "message", "n", "big", "nan", "nested"]);
    expect(parsed).toMatchObject({ level: "warn", target: "gateway", message: "hello", n: 42, big: 2 ** 60, nan: null, nested: { list: [1, "two"] } });
  });

  test("every string value and key round-trips", () => {
    const { logger, lines } = capture("json");
    for (const v of awkward) logger.line("info", "t", { v, [`k ${v.slice(0, 8)}`]: 1 });
    const got = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(got.map((g) => g.v)).toEqual(awkward);
    expect(got.map((g) => Object.keys(g)[4])).toEqual(awkward.map((v) => `k ${v.slice(0, 8)}`));
  });
});

describe("the access log", () => {
  const record: ExchangeOutcome = {
    start: 0,
    bind: 3000,
    method: "POST",
    path: "/v1/chat/completions",
    listener: "l0",
    route: "default/r0",
    endpoint: "api.openai.com:443",
    protocol: "llm",
    operation: "chat",
    provider: "openai",
    requestModel: "gpt-4o-mini",
    responseModel: "gpt-4o-mini-2024-07-18",
    attempts: 2,
    usage: { inputTokens: 12, outputTokens: 30, totalTokens: 42 },
    status: 200,
    firstByteMs: 12.6,
    durationMs: 250.4,
  };

  test("a line per exchange, in agentgateway's field names, at warn for 5xx", () => {
    const { logger, lines } = capture("text");
    const listener = accessLog(logger, () => new Set());
    listener(record);
    listener({ ...record, status: 503, error: "upstream is unreachable", errorKind: "upstream_unreachable", usage: undefined, firstByteMs: undefined });
    const [ok, failed] = lines();
    expect(ok).toContain(" info request ");
    expect(textFields(ok!)).toEqual({
      bind: "3000",
      listener: "l0",
      route: "default/r0",
      endpoint: "api.openai.com:443",
      "http.method": "POST",
      "http.path": "/v1/chat/completions",
      "http.status": "200",
      protocol: "llm",
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
      "gen_ai.usage.input_tokens": "12",
      "gen_ai.usage.output_tokens": "30",
      "agw.ai.time_to_first_token": "13ms",
      "retry.attempt": "1",
      duration: "250ms",
    });
    expect(failed).toContain(" warn request ");
    expect(textFields(failed!)).toMatchObject({ "http.status": "503", error: "upstream is unreachable", reason: "upstream_unreachable" });
  });

  test("removed fields are left out, custom fields replace or add, in JSON too", () => {
    const { logger, lines } = capture("json");
    const removed = new Set(["http.path", "gen_ai.usage.input_tokens", "team"]);
    const listener = accessLog(logger, () => removed);
    listener(record);
    listener({ ...record, custom: { log: { route: "custom-route", user: "alice", team: "x" }, metrics: {}, trace: {} } });
    listener({ ...record, custom: { log: {}, metrics: {}, trace: {}, unlogged: true } });
    const [plain, custom, ...rest] = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rest).toEqual([]);
    expect(plain).not.toHaveProperty("http.path");
    expect(plain).not.toHaveProperty("gen_ai.usage.input_tokens");
    expect(plain).toMatchObject({ "gen_ai.usage.output_tokens": 30, duration: "250ms", "agw.ai.time_to_first_token": "13ms" });
    expect(custom).toMatchObject({ route: "custom-route", user: "alice", "gen_ai.usage.output_tokens": 30 });
    expect(custom).not.toHaveProperty("team");
    expect(custom).not.toHaveProperty("http.path");
    expect(Object.keys(custom!).indexOf("route")).toBe(Object.keys(plain!).indexOf("route"));
  });
});

/**
 * What the robustness suites share: a seeded PRNG (the same cases on every run), the checks every
 * gateway answer must pass (the client's own error shape, no stack traces, no backend credential),
 * and a reader of SSE bodies.
 */
import { expect } from "bun:test";

/** mulberry32: a small seeded PRNG, enough to pick cases (not for anything secret). */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}

export interface Rng {
  next(): number;
  /** 0 <= x < n */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

export type Json = unknown;


/** Every [container, key] in a JSON value (the places a mutation can hit). */
export function slots(v: Json, out: [Record<string, Json> | Json[], string | number][] = []): [Record<string, Json> | Json[], string | number][] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), slots(x, out)));
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) out.push([v as Record<string, Json>, k]), slots((v as Record<string, Json>)[k], out);
  return out;
}

export function objects(v: Json, out: Record<string, Json>[] = []): Record<string, Json>[] {
  if (Array.isArray(v)) v.forEach((x) => objects(x, out));
  else if (v !== null && typeof v === "object") {
    out.push(v as Record<string, Json>);
    for (const x of Object.values(v)) objects(x, out);
  }
  return out;
}

export function arrays(v: Json, out: Json[][] = []): Json[][] {
  if (Array.isArray(v)) {
    out.push(v);
    v.forEach((x) => arrays(x, out));
  } else if (v !== null && typeof v === "object") for (const x of Object.values(v)) arrays(x, out);
  return out;
}

/** Values of every JSON type, and awkward ones (NUL, a lone surrogate, astral characters, Object.prototype's names). */
export const OTHER_VALUES: Json[] = ["", "x", 0, -1, 1.5, 2 ** 53 + 1, 1e308, true, false, null, [], [null], [1, "a", {}], {}, { a: 1 }, { type: "text" }, "\u0000", "\ud800", "😀".repeat(3), "constructor", "__proto__"];
/** A value of another type (a copy: mutations must not reach the shared list). */
export const other = (rng: Rng): Json => structuredClone(rng.pick(OTHER_VALUES));

/** The client formats, by the error shape their clients read. */
export type Shape = "openai" | "anthropic" | "gemini";

/** A stack frame or a source path in an answer: internals a client must never see. */
const INTERNALS = /\n\s+at \S|\bat (?:async )?[\w.<>]+ \(|\/src\/|\/work\/|node_modules|\.ts:\d+/;

/** Everything a client received, as text: status line, headers, body. */
export interface Received {
  status: number;
  headers: Headers;
  body: string;
}

/** Fails with `what` (the case) when a secret or an internal detail is anywhere in the answer. */
export function expectNothingLeaked(r: Received, secrets: readonly string[], what: string): void {
  const headerText = [...r.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  for (const s of secrets) {
    if (r.body.includes(s) || headerText.includes(s)) throw new Error(`${what}: the answer carries a backend credential (${s.slice(0, 6)}...)`);
  }
  const m = INTERNALS.exec(r.body);
  if (m) throw new Error(`${what}: the answer shows internals (${JSON.stringify(m[0])}): ${r.body.slice(0, 300)}`);
}

/** The error object of a body in `shape`, or a reason it is not one. */
export function errorOf(shape: Shape, text: string, status?: number): { message: string } | string {
  let v: any;
  try {
    v = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  if (shape === "anthropic") {
    if (v?.type !== "error" || typeof v.error?.type !== "string" || typeof v.error?.message !== "string") return `not Anthropic's error shape: ${text.slice(0, 200)}`;
    return v.error;
  }
  if (shape === "gemini") {
    const e = v?.error;
    if (typeof e?.code !== "number" || typeof e.message !== "string" || typeof e.status !== "string") return `not Google's error shape: ${text.slice(0, 200)}`;
    if (status !== undefined && e.code !== status) return `Google's error code ${e.code} is not the status ${status}`;
    return e;
  }
  const e = v?.error;
  if (typeof e?.message !== "string" || typeof e.type !== "string" || !("param" in e) || !("code" in e)) return `not OpenAI's error shape: ${text.slice(0, 200)}`;
  return e;
}

/** The answer is an error in `shape` (fails naming `what` otherwise); returns it. */
export function expectErrorShape(shape: Shape, r: Received, what: string): { message: string; code?: unknown; type?: unknown } {
  const e = errorOf(shape, r.body, r.status);
  if (typeof e === "string") throw new Error(`${what}: HTTP ${r.status}, ${e}`);
  expect(r.headers.get("content-type") ?? "").toContain("application/json");
  return e;
}

/** The `data:` payloads of an SSE body, in order ([DONE] left out). */
export function sseData(body: string): string[] {
  const out: string[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).replace(/^ /, ""))
      .join("\n");
    if (data !== "" && data !== "[DONE]") out.push(data);
  }
  return out;
}

/** Reads an answer whole, or fails naming `what` when it does not end within `ms`. */
export async function receive(res: Promise<Response>, ms: number, what: string): Promise<Received> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no complete answer within ${ms} ms (a hang)`)), ms);
  });
  try {
    return await Promise.race([
      res.then(async (r) => ({ status: r.status, headers: r.headers, body: await r.text() })),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Unhandled rejections and uncaught errors in this process (the gateway runs in it) while `on`. */
export function watchProcessErrors(): { readonly seen: string[]; stop(): void } {
  const seen: string[] = [];
  const onRejection = (reason: unknown) => seen.push(`unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`);
  const onException = (err: unknown) => seen.push(`uncaught exception: ${String((err as Error)?.stack ?? err)}`);
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return {
    seen,
    stop() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onException);
    },
  };
}

/** Runs `fn` over `items`, at most `n` at a time, in order of start. */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/**
 * Client-side robustness: every client route gets ~150 seeded mutations of a valid request (fields
 * dropped, duplicated or of another type, deep nesting, long strings, invalid UTF-8, prototype
 * keys, huge arrays, wrong content types, empty and truncated bodies), each sent over real HTTP
 * to a provider of the client's own format (passthrough) and to one of another format
 * (translation), all on emulators; then every field of each valid body is swept through other
 * types. The upstreams answer 2xx or 4xx only (a request with `x_echo` gets an error quoting the
 * credentials it received, as some proxies send), so every answer must be a 2xx (the mutation was
 * still a valid request, or the upstream took it) or a 4xx in the client's own error shape, never
 * a 5xx, a stack trace or a backend credential. The gateway must then still answer a normal
 * request, nothing may be left unhandled in this process (the gateway runs in it), and no
 * prototype may have been polluted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../emulators/anthropic.ts";
import { startBedrockEmulator, type AwsTestCredentials, type BedrockEmulator } from "../emulators/bedrock.ts";
import { startGeminiEmulator, type GeminiEmulator } from "../emulators/gemini.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { openaiJson, openaiSse, responsesCompleted } from "../llm/formats/scripts.ts";
import { plainText } from "../llm/providers/anthropic/scripts.ts";
import { arrays, expectErrorShape, expectNothingLeaked, objects, other, OTHER_VALUES, pool, prng, receive, slots, sseData, watchProcessErrors, type Json, type Received, type Rng, type Shape } from "./fuzz.ts";

// distinctive backend credentials: none may ever reach a client
const OPENAI_KEY = "sk-fuzz-openai-Q7v2Lk9PzX4mW1";
const ANTHROPIC_KEY = "sk-ant-fuzz-R3n8Jd5TbY6cH0";
const GEMINI_KEY = "AIzaFuzzGeminiKey-M4q1Ws7Ve2Nz";
const VERTEX_TOKEN = "ya29.fuzz-vertex-token-K8p3Xa6Lc";
const AWS: AwsTestCredentials = { accessKeyId: "AKIAFUZZGATEWAY77Q1Z", secretAccessKey: "fuzzSecret/Zq8Wm3Rt6Yp1Lk4Nv7Bx0Cd2Fg5Hj" };
const SECRETS = [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY, VERTEX_TOKEN, AWS.secretAccessKey];

/** FUZZ_SEED and FUZZ_N explore other and more cases locally; the suite itself always runs the same ones */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);
const PER_ROUTE = Number(process.env.FUZZ_N ?? 150);

let openai: OpenAIEmulator;
let claude: AnthropicEmulator;
let gemini: GeminiEmulator;
let bedrock: BedrockEmulator;
let gw: TestGateway;
const errors = watchProcessErrors();

/** One route per provider, chosen by the `x-provider` header. */
function config(): string {
  const routes: [string, string, string][] = [
    ["openai", `{openAI: {}}, hostOverride: "${openai.host}"`, `{key: ${OPENAI_KEY}}`],
    ["anthropic", `{anthropic: {}}, hostOverride: "${claude.host}"`, `{key: ${ANTHROPIC_KEY}}`],
    ["gemini", `{gemini: {}}, hostOverride: "${gemini.host}"`, `{key: ${GEMINI_KEY}}`],
    ["vertex", `{vertex: {projectId: fuzz-project, region: us-central1}}, hostOverride: "${gemini.host}"`, `{key: ${VERTEX_TOKEN}}`],
    ["bedrock", `{bedrock: {region: us-east-1}}, hostOverride: "${bedrock.host}"`, `{aws: {accessKeyId: ${AWS.accessKeyId}, secretAccessKey: "${AWS.secretAccessKey}", region: us-east-1}}`],
    ["bedrock-embed", `{bedrock: {region: us-east-1}}, hostOverride: "${bedrock.host}", policies: {ai: {modelAliases: {text-embedding-3-small: "amazon.titan-embed-text-v2:0"}}}`, `{aws: {accessKeyId: ${AWS.accessKeyId}, secretAccessKey: "${AWS.secretAccessKey}", region: us-east-1}}`],
  ];
  const lines = ["binds:", "- port: 0", "  listeners:", "  - routes:"];
  for (const [name, provider, auth] of routes) {
    lines.push(
      `    - name: ${name}`,
      `      matches: [{headers: [{name: x-provider, value: {exact: ${name}}}]}]`,
      `      policies: {backendAuth: ${auth}}`,
      "      backends:",
      `      - ai: {name: ${name}, provider: ${provider}}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** A Responses stream as OpenAI sends one (created, one text delta, completed). */
function responsesSse(): Response {
  const completed = { id: "resp_fuzz", object: "response", created_at: 1, status: "completed", model: "gpt-5", output: [{ id: "msg_fuzz", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "ok", annotations: [] }] }], usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } };
  const events = [
    ["response.created", { type: "response.created", sequence_number: 0, response: { ...completed, status: "in_progress", output: [], usage: null } }],
    ["response.output_text.delta", { type: "response.output_text.delta", sequence_number: 1, item_id: "msg_fuzz", output_index: 0, content_index: 0, delta: "ok" }],
    ["response.completed", { type: "response.completed", sequence_number: 2, response: completed }],
  ] as const;
  return new Response(events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join(""), { headers: { "content-type": "text/event-stream" } });
}

/** Whether a recorded upstream request asked for a stream (its body may be anything). */
const streamed = (json: unknown) => (json as { stream?: unknown } | null | undefined)?.stream === true;

/**
 * A request carrying the `x_echo` field (one of the mutations adds it, passed through or not) is
 * refused with an error that quotes the credentials the upstream received, as some proxies do:
 * the gateway must not hand them on.
 */
function echoed(r: { body: string; headers: Headers }): string | undefined {
  if (!r.body.includes("x_echo")) return undefined;
  const seen = ["authorization", "x-api-key", "x-goog-api-key", "api-key"].map((h) => `${h}: ${r.headers.get(h)}`).join(", ");
  return `invalid request from a client presenting ${seen}`;
}

beforeAll(async () => {
  openai = startOpenAIEmulator();
  claude = startAnthropicEmulator();
  gemini = startGeminiEmulator({ apiKey: GEMINI_KEY, accessToken: VERTEX_TOKEN });
  bedrock = startBedrockEmulator({ credentials: AWS });
  // the upstreams answer every request they accept with a valid answer, whatever it asked
  openai.script((r) => {
    const echo = echoed(r);
    if (echo) return Response.json({ error: { message: echo, type: "invalid_request_error", param: null, code: null } }, { status: 400 });
    if (r.path.endsWith("/chat/completions")) return streamed(r.json) ? openaiSse([{ content: "ok" }], "stop") : openaiJson({ content: "ok" }, "stop");
    if (r.path.endsWith("/embeddings")) return Response.json({ object: "list", data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2, 0.3] }], model: "text-embedding-3-small", usage: { prompt_tokens: 2, total_tokens: 2 } });
    if (r.path.endsWith("/responses")) return streamed(r.json) ? responsesSse() : responsesCompleted("ok", "msg_fuzz");
    return undefined;
  });
  claude.script((r) => {
    const echo = echoed(r);
    if (echo) return { kind: "http", status: 400, json: { type: "error", error: { type: "invalid_request_error", message: echo } } };
    return r.path.endsWith("/count_tokens") ? { kind: "http", status: 200, json: { input_tokens: 7 } } : turn(plainText);
  });
  gemini.script((r) => {
    const echo = echoed(r);
    return echo ? { status: 400, body: { error: { code: 400, message: echo, status: "INVALID_ARGUMENT" } } } : undefined;
  });
  gw = await startTestGateway(config());
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([openai?.stop(), claude?.stop(), gemini?.stop(), bedrock?.stop()]);
  errors.stop();
});

// ---------------------------------------------------------------------------------------------
// the routes, each with a valid body and the providers it is sent to

interface Route {
  name: string;
  shape: Shape;
  /** the path (Gemini's names the model) */
  path: string;
  /** a valid request */
  base(): Record<string, unknown>;
  /** whether the body's `stream` field asks for a stream (Gemini's is in the path) */
  streamField: boolean;
  /** a provider of the client's format */
  same: string;
  /** providers of other formats, taken in turn */
  others: string[];
}

const TOOL_SCHEMA = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
const geminiBody = () => ({
  contents: [
    { role: "user", parts: [{ text: "Weather in Rome?" }] },
    { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Rome" } } }] },
    { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temp: 30 } } }] },
  ],
  systemInstruction: { parts: [{ text: "Be brief." }] },
  generationConfig: { maxOutputTokens: 50, temperature: 0.3, stopSequences: ["END"] },
  tools: [{ functionDeclarations: [{ name: "get_weather", description: "weather", parameters: TOOL_SCHEMA }] }],
});

const ROUTES: Route[] = [
  {
    name: "chat completions",
    shape: "openai",
    path: "/v1/chat/completions",
    streamField: true,
    same: "openai",
    others: ["anthropic", "bedrock", "gemini", "vertex"],
    base: () => ({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Weather in Rome?" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }] },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "30C" },
      ],
      max_tokens: 50,
      temperature: 0.5,
      stop: ["END"],
      tools: [{ type: "function", function: { name: "get_weather", description: "weather", parameters: TOOL_SCHEMA } }],
      tool_choice: "auto",
      response_format: { type: "text" },
    }),
  },
  {
    name: "embeddings",
    shape: "openai",
    path: "/v1/embeddings",
    streamField: false,
    same: "openai",
    others: ["gemini", "bedrock-embed", "vertex"],
    base: () => ({ model: "text-embedding-3-small", input: ["hello world", "second text"], dimensions: 256, encoding_format: "float" }),
  },
  {
    name: "messages",
    shape: "anthropic",
    path: "/v1/messages",
    streamField: true,
    same: "anthropic",
    others: ["openai", "bedrock", "gemini"],
    base: () => ({
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather in Rome?" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] },
        { role: "assistant", content: [{ type: "text", text: "Checking." }, { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Rome" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "30C" }] }] },
      ],
      tools: [{ name: "get_weather", description: "weather", input_schema: TOOL_SCHEMA }],
      tool_choice: { type: "auto" },
      stop_sequences: ["END"],
      temperature: 0.2,
    }),
  },
  {
    name: "count_tokens",
    shape: "anthropic",
    path: "/v1/messages/count_tokens",
    streamField: false,
    same: "anthropic",
    others: ["openai", "bedrock", "gemini"],
    base: () => ({
      model: "claude-sonnet-4-5",
      system: "Be brief.",
      messages: [{ role: "user", content: [{ type: "text", text: "Weather in Rome?" }] }],
      tools: [{ name: "get_weather", description: "weather", input_schema: TOOL_SCHEMA }],
    }),
  },
  {
    name: "responses",
    shape: "openai",
    path: "/v1/responses",
    streamField: true,
    same: "openai",
    others: ["anthropic", "bedrock", "gemini"],
    base: () => ({
      model: "gpt-5",
      instructions: "Be brief.",
      input: [
        { role: "user", content: [{ type: "input_text", text: "Weather in Rome?" }] },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Rome"}' },
        { type: "function_call_output", call_id: "call_1", output: "30C" },
      ],
      tools: [{ type: "function", name: "get_weather", description: "weather", parameters: TOOL_SCHEMA }],
      max_output_tokens: 50,
      reasoning: { effort: "low" },
      store: false,
    }),
  },
  {
    name: "generateContent",
    shape: "gemini",
    path: "/v1beta/models/gemini-2.5-flash:generateContent",
    streamField: false,
    same: "gemini",
    others: ["openai", "anthropic", "bedrock"],
    base: geminiBody,
  },
  {
    name: "streamGenerateContent",
    shape: "gemini",
    path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    streamField: false,
    same: "gemini",
    others: ["openai", "anthropic", "bedrock"],
    base: geminiBody,
  },
  {
    name: "countTokens",
    shape: "gemini",
    path: "/v1beta/models/gemini-2.5-flash:countTokens",
    streamField: false,
    same: "gemini",
    others: ["openai", "anthropic", "bedrock"],
    base: () => ({ contents: geminiBody().contents }),
  },
];

// ---------------------------------------------------------------------------------------------
// mutations

/** One request to send: the body's bytes and its content type (null: no content-type header). */
interface Case {
  kind: string;
  body: Uint8Array | string;
  contentType: string | null;
}

const enc = new TextEncoder();

/** Raw JSON text put in place of a marker string after serializing (what JSON.stringify cannot write). */
class Raw {
  readonly texts: string[] = [];
  marker(text: string): string {
    this.texts.push(text);
    return `@@RAW${this.texts.length - 1}@@`;
  }
  serialize(v: Json): string {
    return JSON.stringify(v).replace(/"@@RAW(\d+)@@"/g, (_, i) => this.texts[Number(i)]!);
  }
}

const RAW_NUMBERS = ["1e400", "-1e400", "-0", "0.0000000000000000000000001", "123456789012345678901234567890"];
const PROTO_KEYS = ["__proto__", "constructor", "prototype"];

function deepNesting(levels: number, rng: Rng): string {
  return rng.chance(0.5) ? `${"[".repeat(levels)}${"]".repeat(levels)}` : `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
}

/** One mutation of `base`, by kind (`i` picks the kind so every kind is hit as often). */
function mutate(base: Record<string, Json>, i: number, rng: Rng): Case {
  const body = structuredClone(base) as Record<string, Json>;
  const raw = new Raw();
  const json = (kind: string): Case => ({ kind, body: raw.serialize(body), contentType: "application/json" });
  const pickSlot = () => rng.pick(slots(body));
  const set = ([c, k]: [Record<string, Json> | Json[], string | number], v: Json) => ((c as Record<string | number, Json>)[k] = v);
  const kinds = [
    "drop",
    "duplicate",
    "swap type",
    "swap type",
    "odd number",
    "deep nesting",
    "long string",
    "invalid utf-8",
    "prototype key",
    "huge array",
    "content type",
    "empty body",
    "truncated",
    "not an object",
    "unknown field",
    "havoc",
  ] as const;
  const kind = kinds[i % kinds.length]!;
  switch (kind) {
    case "drop": {
      const [c, k] = pickSlot();
      if (Array.isArray(c)) c.splice(k as number, 1);
      else delete c[k as string];
      return json(`drop ${k}`);
    }
    case "duplicate": {
      // a key twice in one object (JSON.parse keeps the last), or an array element twice
      const arrs = arrays(body);
      if (rng.chance(0.3) && arrs.length > 0) {
        const a = rng.pick(arrs);
        if (a.length > 0) a.splice(rng.int(a.length), 0, structuredClone(a[rng.int(a.length)]));
        return json("duplicate element");
      }
      const o = rng.pick(objects(body));
      const keys = Object.keys(o);
      if (keys.length === 0) return json("duplicate (none)");
      const k = rng.pick(keys);
      const first = other(rng);
      o[k] = raw.marker(`${JSON.stringify(first)},${JSON.stringify(k)}:${JSON.stringify(o[k])}`);
      // the marker sits after `"k":`, so the text reads `"k":first,"k":original`
      return json(`duplicate key ${k}`);
    }
    case "swap type": {
      const s = pickSlot();
      set(s, other(rng));
      return json(`swap ${s[1]}`);
    }
    case "odd number": {
      const s = pickSlot();
      set(s, raw.marker(rng.pick(RAW_NUMBERS)));
      return json(`odd number at ${s[1]}`);
    }
    case "deep nesting": {
      // below the depth where JSC's JSON.stringify turns slow (~25 000 levels: robustness-regressions.test.ts)
      const levels = rng.pick([2000, 10_000]);
      if (rng.chance(0.2)) return { kind: `deep nesting ${levels} (whole body)`, body: deepNesting(levels, rng), contentType: "application/json" };
      const s = pickSlot();
      set(s, raw.marker(deepNesting(levels, rng)));
      return json(`deep nesting ${levels} at ${s[1]}`);
    }
    case "long string": {
      const s = pickSlot();
      const n = rng.pick([70_000, 300_000, 2_000_000]);
      set(s, rng.pick(["a", "é", "😀", " ", "\\"]).repeat(n));
      return json(`long string at ${s[1]}`);
    }
    case "invalid utf-8": {
      const s = pickSlot();
      set(s, "@@BADUTF8@@");
      const text = raw.serialize(body);
      const bad = rng.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
      const [before, after] = text.split("@@BADUTF8@@") as [string, string];
      const bytes = [...enc.encode(before), ...bad, ...enc.encode(after)];
      return { kind: `invalid utf-8 at ${s[1]}`, body: new Uint8Array(bytes), contentType: "application/json" };
    }
    case "prototype key": {
      const o = rng.pick(objects(body));
      const k = rng.pick(PROTO_KEYS);
      const value = rng.pick([{ polluted: "yes", role: "system", type: "text", isAdmin: true }, { prototype: { polluted: "yes" } }, "polluted", null, []]);
      // written as text: an object literal's `__proto__` would set the prototype, not a key
      o["@@PROTO@@"] = raw.marker(JSON.stringify(value));
      const text = raw.serialize(body).replace('"@@PROTO@@"', JSON.stringify(k));
      return { kind: `prototype key ${k}`, body: text, contentType: "application/json" };
    }
    case "huge array": {
      const arrs = arrays(body).filter((a) => a.length > 0);
      const a = rng.pick(arrs);
      const n = rng.pick([5000, 20_000]);
      const item = a[0];
      a.length = 0;
      for (let j = 0; j < n; j++) a.push(item);
      return json(`huge array (${n})`);
    }
    case "content type": {
      const contentType = rng.pick([null, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/json; charset=latin1", "image/png"]);
      return { kind: `content type ${contentType}`, body: raw.serialize(body), contentType };
    }
    case "empty body":
      return { kind: "empty body", body: rng.pick(["", " ", "\n", "\u0000"]), contentType: rng.pick(["application/json", null]) };
    case "truncated": {
      const text = raw.serialize(body);
      const at = rng.int(text.length);
      return { kind: `truncated at ${at}`, body: text.slice(0, at), contentType: "application/json" };
    }
    case "not an object":
      return { kind: "not an object", body: rng.pick(["[]", "[{}]", '"x"', "42", "null", "true", "{}", '{"":1}', "\ufeff{}"]), contentType: "application/json" };
    case "unknown field": {
      const o = rng.pick(objects(body));
      o[rng.pick(["x_unknown", "x_echo", "x_echo", "", "type", "role", "id", "stream", "model", "n"])] = other(rng);
      return json("unknown field");
    }
    case "havoc": {
      const n = 2 + rng.int(4);
      for (let j = 0; j < n; j++) {
        const s = slots(body);
        if (s.length === 0) break;
        const slot = rng.pick(s);
        if (rng.chance(0.4)) {
          if (Array.isArray(slot[0])) slot[0].splice(slot[1] as number, 1);
          else delete slot[0][slot[1] as string];
        } else set(slot, other(rng));
      }
      return json(`havoc ${n}`);
    }
  }
}

/** Every field of the route's valid body in turn replaced by each of these, or dropped. */
const SWEEP_VALUES: Json[] = [null, 5, "x", "\ud800", "constructor", [], [null], {}, true];

function sweep(route: Route): Case[] {
  const out: Case[] = [];
  const base = route.base();
  if (route.streamField) base.stream = true;
  const n = slots(base).length;
  for (let i = 0; i < n; i++) {
    for (const v of [...SWEEP_VALUES, undefined]) {
      const body = structuredClone(base);
      const [c, k] = slots(body)[i]!;
      if (v !== undefined) (c as Record<string | number, Json>)[k] = structuredClone(v);
      else if (Array.isArray(c)) c.splice(k as number, 1);
      else delete c[k as string];
      out.push({ kind: `field ${String(k)} (#${i}) ${v === undefined ? "dropped" : `= ${JSON.stringify(v)}`}`, body: JSON.stringify(body), contentType: "application/json" });
    }
  }
  return out;
}

/** The route's mutations, the same on every run. */
function cases(route: Route, seed: number): Case[] {
  const rng = prng(seed);
  const out: Case[] = [];
  for (let i = 0; i < PER_ROUTE; i++) {
    const base = route.base();
    if (route.streamField && rng.chance(0.4)) base.stream = true;
    out.push(mutate(base, i, rng));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the checks

/**
 * A mutation's answer: a 2xx, or a 4xx in the client's shape. The upstreams here answer every
 * request with a 2xx or a 4xx, so a 5xx can only be the gateway's own failure.
 */
function check(route: Route, provider: string, c: Case, r: Received): void {
  const what = `${route.name} -> ${provider}, ${c.kind}`;
  expectNothingLeaked(r, SECRETS, what);
  if (r.status >= 200 && r.status < 300) {
    if ((r.headers.get("content-type") ?? "").includes("text/event-stream")) {
      for (const data of sseData(r.body)) {
        try {
          JSON.parse(data);
        } catch {
          throw new Error(`${what}: a stream event is not JSON: ${data.slice(0, 200)}`);
        }
        if (data.includes("internal_error") || data.includes("internal gateway error")) throw new Error(`${what}: the stream ended in an internal error: ${data}`);
      }
    } else if (!r.body.startsWith("{") && !r.body.startsWith("[")) throw new Error(`${what}: a 2xx that is not JSON: ${r.body.slice(0, 200)}`);
    return;
  }
  expectErrorShape(route.shape, r, what);
  if (r.status < 400 || r.status >= 500) throw new Error(`${what}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
}

async function send(route: Route, provider: string, c: Case): Promise<Received> {
  const headers: Record<string, string> = { "x-provider": provider, authorization: "Bearer client-key", "x-api-key": "client-key", "anthropic-version": "2023-06-01" };
  if (c.contentType !== null) headers["content-type"] = c.contentType;
  return await receive(fetch(`${gw.origin()}${route.path}`, { method: "POST", headers, body: c.body }), 10_000, `${route.name} -> ${provider}, ${c.kind}`);
}

/** The unexpected-error lines the gateway logged since line `from` (a 500 of its own, with the stack it kept to itself). */
function unexpectedErrors(from: number): string[] {
  gw.rawLog(); // flushes the pending lines
  return gw.logs
    .slice(from)
    .filter((l) => l.target === "gateway" && l.level === "error")
    .map((l) => JSON.stringify(l).slice(0, 600));
}

/** Sends each case to the route's own-format provider and to one of the others (in turn); every answer checked. */
async function run(route: Route, all: Case[]): Promise<void> {
  gw.rawLog();
  const logsBefore = gw.logs.length;
  const failures: string[] = [];
  const jobs = all.flatMap((c, i) => [
    [c, route.same],
    [c, route.others[i % route.others.length]!],
  ] as const);
  await pool(jobs, 8, async ([c, provider]) => {
    const res = await send(route, provider, c);
    try {
      check(route, provider, c, res);
    } catch (err) {
      failures.push((err as Error).message);
    }
  });
  expect(failures.slice(0, 10)).toEqual([]);
  expect(unexpectedErrors(logsBefore)).toEqual([]);
  expect(errors.seen).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.prototype as Record<string, unknown>).isAdmin).toBeUndefined();
}

describe("client-side fuzz: every answer is a 2xx or a 4xx in the client's shape, nothing leaked", () => {
  ROUTES.forEach((route, r) => {
    test(`${route.name}: ${PER_ROUTE} mutations, to ${route.same} and to ${route.others.join(" / ")}`, () => run(route, cases(route, SEED + r)), 60_000);
  });

  ROUTES.forEach((route) => {
    test(`${route.name}: every field of a valid body of another type or dropped`, () => run(route, sweep(route)), 60_000);
  });

  test("after the batches, a normal request on each route is answered correctly", async () => {
    for (const route of ROUTES) {
      for (const provider of [route.same, ...route.others]) {
        const res = await send(route, provider, { kind: "valid", body: JSON.stringify(route.base()), contentType: "application/json" });
        if (res.status !== 200) throw new Error(`${route.name} -> ${provider}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
        expectNothingLeaked(res, SECRETS, `${route.name} -> ${provider}`);
      }
    }
  });
});

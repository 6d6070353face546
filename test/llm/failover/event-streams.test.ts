/**
 * AWS event streams (`application/vnd.amazon.eventstream`) on passthrough routes to Bedrock and
 * failover, over real HTTP: a client calls ConverseStream through the gateway (as the AWS SDK
 * pointed at it would: the gateway signs) and reads the frames with AWS's own decoder
 * (`@smithy/eventstream-codec`). While another attempt could replace the answer, frames are held
 * until the first one with content: an exception first (`throttlingException`...) or a cut before
 * it is failed over from, and when no provider is left the exception is answered as Bedrock
 * answers it over HTTP (its documented status, `{"message"}`, `x-amzn-errortype`). An exception
 * after content, and every stream of a single provider without retry, go through untouched.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { providerHealth } from "../../../src/llm/failover/status.ts";
import { concat, encodeEvent, ev, startBedrockEmulator, TEST_CREDENTIALS, textScript, type BedrockEmulator, type StreamEvent } from "../../emulators/bedrock.ts";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.ts";

let ea: BedrockEmulator;
let eb: BedrockEmulator;
let gw: TestGateway;
let clock = 1_000_000;

const MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const bedrock = (name: string, host: string) => `{name: ${name}, hostOverride: "${host}", provider: {bedrock: {region: us-east-1}}}`;
/** requests to `/<name>/...` passed through as `/...` to the providers of one group, signed with the emulators' credentials */
const route = (name: string, providers: string[]) => `
    - matches: [{path: {pathPrefix: /${name}/}}]
      policies: {urlRewrite: {path: {prefix: /}}, ai: {routes: {"*": passthrough}}, backendAuth: {aws: ${JSON.stringify(TEST_CREDENTIALS)}}}
      backends: [{ai: {groups: [{providers: [${providers.join(", ")}]}]}}]`;

beforeAll(async () => {
  ea = startBedrockEmulator();
  eb = startBedrockEmulator();
  // deps.random 0: inside a group the first listed member is tried first
  gw = await startTestGateway(
    `
binds:
- port: 0
  listeners:
  - routes:${route("group", [bedrock("ba", ea.host), bedrock("bb", eb.host)])}${route("one", [bedrock("bs", ea.host)])}
`,
    {},
    { deps: { random: () => 0, now: () => clock } },
  );
});
afterAll(async () => {
  await gw.stop();
  await ea.stop();
  await eb.stop();
});
afterEach(() => {
  ea.script(undefined);
  eb.script(undefined);
  clock += 10 * 60_000; // every eviction of the last test is over
});

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const dec = new TextDecoder();

/** ConverseStream through the gateway, as the AWS SDK sends it (JSON body, event-stream accepted). */
const converseStream = (prefix: string) =>
  fetch(`${gw.origin()}/${prefix}/model/${encodeURIComponent(MODEL)}/converse-stream`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/vnd.amazon.eventstream" },
    body: JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] }),
  });

/** The frames of an event stream, decoded (and checksum-verified) by AWS's codec. */
function frames(bytes: Uint8Array): { type: string; payload: any }[] {
  const out: { type: string; payload: any }[] = [];
  for (let at = 0; at < bytes.byteLength; ) {
    const total = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
    const m = codec.decode(bytes.subarray(at, at + total));
    const h = m.headers;
    out.push({ type: String((h[":event-type"] ?? h[":exception-type"])!.value), payload: JSON.parse(dec.decode(m.body)) });
    at += total;
  }
  return out;
}
const textOf = (fs: { type: string; payload: any }[]) => fs.map((f) => (f.type === "contentBlockDelta" ? (f.payload.delta.text ?? "") : "")).join("");
const wire = (events: StreamEvent[]) => concat(events.map(encodeEvent));
const bytesOf = async (res: Response): Promise<Uint8Array> => new Uint8Array(await res.arrayBuffer());
const health = (provider: string) => providerHealth(gw.gateway.config, clock).find((h) => h.provider === provider)!;

const ANSWER = textScript(["Hello", " from", " Bedrock", "."]);
const throttled = { exception: "throttlingException", message: "Too many requests, please wait before trying again." };

describe("two Bedrock providers: a failure before the first content is failed over from", () => {
  test("a throttlingException frame after messageStart: the client gets the next provider's stream, which x-agw-provider names; the first is counted (429) and evicted", async () => {
    ea.script(() => ({ events: [ev.start(), throttled] }));
    eb.script(() => ({ events: ANSWER }));
    const res = await converseStream("group");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    expect(res.headers.get("x-agw-provider")).toBe("bb");
    const bytes = await bytesOf(res);
    expect(bytes).toEqual(wire(ANSWER));
    expect(textOf(frames(bytes))).toBe("Hello from Bedrock.");
    expect(ea.requests.at(-1)!.operation).toBe("converse-stream");
    expect(health("ba")).toMatchObject({ evicted: true, consecutiveFailures: 1, lastFailure: { status: 429 } });
    // evicted: the next request goes straight to the second provider
    const before = ea.requests.length;
    expect((await converseStream("group")).headers.get("x-agw-provider")).toBe("bb");
    expect(ea.requests.length).toBe(before);
  });

  test("frames split at odd bytes: held and judged across reads, the next provider's bytes intact", async () => {
    ea.script(() => ({ events: [ev.start(), throttled], splitEvery: 5 }));
    eb.script(() => ({ events: ANSWER, splitEvery: 7 }));
    const res = await converseStream("group");
    expect(await bytesOf(res)).toEqual(wire(ANSWER));
    expect(res.headers.get("x-agw-provider")).toBe("bb");
  });

  test("every provider fails first: the last exception is answered as Bedrock answers it over HTTP", async () => {
    ea.script(() => ({ events: [ev.start(), { exception: "serviceUnavailableException", message: "Bedrock is unable to process your request." }] }));
    eb.script(() => ({ events: [{ exception: "internalServerException", message: "The server encountered an internal error." }] }));
    const res = await converseStream("group");
    expect(res.status).toBe(500);
    expect(res.headers.get("x-amzn-errortype")).toBe("InternalServerException");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-agw-provider")).toBe("bb");
    expect(await res.json()).toEqual({ message: "The server encountered an internal error." });
    expect(health("ba").lastFailure?.status).toBe(503);
    expect(health("bb").lastFailure?.status).toBe(500);
  });

  test("a modelStreamErrorException first is Bedrock's documented 424: answered as such, and (a 4xx) not failed over", async () => {
    ea.script(() => ({ events: [{ exception: "modelStreamErrorException", message: "Model stream error", extra: { originalStatusCode: 400 } }] }));
    const before = eb.requests.length;
    const res = await converseStream("group");
    expect(res.status).toBe(424);
    expect(res.headers.get("x-amzn-errortype")).toBe("ModelStreamErrorException");
    expect(await res.json()).toEqual({ message: "Model stream error", originalStatusCode: 400 });
    expect(eb.requests.length).toBe(before);
  });

  test("a connection cut after messageStart, before any content: the next provider answers", async () => {
    const start = encodeEvent(ev.start()).byteLength;
    // frames 20 ms apart: messageStart is on the wire before the connection is reset
    ea.script(() => ({ events: ANSWER, cutAfterBytes: start + 10, delayMs: 20 }));
    eb.script(() => ({ events: ANSWER }));
    const res = await converseStream("group");
    expect(await bytesOf(res)).toEqual(wire(ANSWER));
    expect(res.headers.get("x-agw-provider")).toBe("bb");
    expect(health("ba")).toMatchObject({ evicted: true, lastFailure: { status: 502 } });
  });

  test("a stream that ends inside a frame before any content: the next provider answers", async () => {
    const start = encodeEvent(ev.start()).byteLength;
    ea.script(() => ({ events: ANSWER, mangle: (b) => b.slice(0, start + 10) }));
    eb.script(() => ({ events: ANSWER }));
    const res = await converseStream("group");
    expect(await bytesOf(res)).toEqual(wire(ANSWER));
    expect(health("ba").lastFailure?.status).toBe(502);
  });
});

describe("after content, and with one provider and no retry: the frames go through untouched", () => {
  test("a throttlingException after a text delta reaches the client as it came; nothing failed over or duplicated", async () => {
    const events: StreamEvent[] = [ev.start(), ev.text(0, "Hel"), throttled];
    ea.script(() => ({ events }));
    const before = eb.requests.length;
    const res = await converseStream("group");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-agw-provider")).toBe("ba");
    const bytes = await bytesOf(res);
    expect(bytes).toEqual(wire(events));
    expect(frames(bytes).map((f) => f.type)).toEqual(["messageStart", "contentBlockDelta", "throttlingException"]);
    expect(eb.requests.length).toBe(before);
    expect(health("ba")).toMatchObject({ evicted: false, consecutiveFailures: 0 });
  });

  test("one provider: the emulator's bytes exactly, frames split across reads", async () => {
    ea.script(() => ({ events: ANSWER, splitEvery: 7 }));
    const res = await converseStream("one");
    expect(await bytesOf(res)).toEqual(wire(ANSWER));
  });

  test("one provider: an exception first is relayed as it came, under the upstream's 200", async () => {
    const events: StreamEvent[] = [ev.start(), throttled];
    ea.script(() => ({ events }));
    const res = await converseStream("one");
    expect(res.status).toBe(200);
    expect(await bytesOf(res)).toEqual(wire(events));
  });
});

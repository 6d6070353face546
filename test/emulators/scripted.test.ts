/** The shared scripted-upstream API the emulators are built on: precedence, recording, waiting. */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { startScriptedUpstream, type RecordedRequest } from "./scripted.ts";

const upstream = startScriptedUpstream<string, RecordedRequest & { upper: string }>({
  name: "echo",
  defaultReply: (req) => `default ${req.path}`,
  record: (base) => ({ ...base, upper: base.path.toUpperCase() }),
  answer: async (req, reply) => (req.path === "/refused" ? new Response("refused", { status: 403 }) : new Response(await reply())),
});
afterAll(() => upstream.stop());
beforeEach(() => upstream.script(undefined));

const get = async (path: string, init?: RequestInit) => (await fetch(`${upstream.origin}${path}`, init)).text();

describe("scripted upstream", () => {
  test("the script first, then the queue, then the default; a refused request takes no reply", async () => {
    upstream.enqueue("queued 1", "queued 2");
    upstream.script((req) => (req.path === "/scripted" ? "from the script" : undefined));
    expect(await get("/scripted")).toBe("from the script");
    expect(await get("/refused")).toBe("refused");
    expect(await get("/a")).toBe("queued 1");
    upstream.script(undefined);
    expect(await get("/scripted")).toBe("queued 2");
    expect(await get("/b")).toBe("default /b");
  });

  test("every request recorded, with the emulator's own fields; lastJson", async () => {
    const before = upstream.requests.length;
    await get("/json?x=1", { method: "POST", headers: { "content-type": "application/json", "x-h": "v" }, body: '{"a":1}' });
    const r = upstream.requests.at(-1)!;
    expect(upstream.requests.length).toBe(before + 1);
    expect(r).toMatchObject({ method: "POST", path: "/json", query: "?x=1", body: '{"a":1}', json: { a: 1 }, invalidJson: false, aborted: false, upper: "/JSON" });
    expect(r.headers.get("x-h")).toBe("v");
    expect(upstream.lastJson()).toEqual({ a: 1 });
    await get("/no-body");
    expect(() => upstream.lastJson()).toThrow("the echo emulator received no JSON body last");
  });

  test("waitForRequest: a request already received, or one still to come; a timeout names what never came", async () => {
    await get("/early");
    expect((await upstream.waitForRequest((r) => r.path === "/early")).path).toBe("/early");
    const later = upstream.waitForRequest((r) => r.path === "/later");
    void get("/later");
    expect((await later).upper).toBe("/LATER");
    await expect(upstream.waitForRequest((r) => r.path === "/never", 50, "nobody asked for /never")).rejects.toThrow("echo emulator, after 50 ms: nobody asked for /never");
  });

  test("a client leaving before the answer: the request is marked aborted and counted", async () => {
    upstream.script((req) => (req.path === "/hang" ? new Promise<string>(() => {}) : undefined));
    const before = upstream.aborted;
    const c = new AbortController();
    const pending = fetch(`${upstream.origin}/hang`, { signal: c.signal }).catch((e: Error) => e.name);
    const req = await upstream.waitForRequest((r) => r.path === "/hang" && !r.aborted);
    c.abort();
    expect(await pending).toBe("AbortError");
    await upstream.until(() => req.aborted, 3000, () => "the request was never marked aborted");
    expect(upstream.aborted).toBe(before + 1);
  });
});

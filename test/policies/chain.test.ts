/** Running compiled policies: the exchange middlewares in order, and the copy-on-write body draft. */
import { describe, expect, test } from "bun:test";
import { bodyDraft, composeChain, runPresent, runSend } from "../../src/policies/chain.ts";
import type { Policy } from "../../src/policies/types.ts";
import type { UpstreamRequest } from "../../src/llm/types.ts";
import type { RequestContext } from "../../src/server/context.ts";

const ctx = {} as RequestContext;

describe("composeChain", () => {
  test("no middleware: the last step directly", async () => {
    const res = await composeChain([{ key: "a" }, { key: "b", present: () => {} }])(ctx, async () => new Response("last"));
    expect(await res.text()).toBe("last");
  });

  test("middlewares wrap the last step in order, and each can change the answer on the way back", async () => {
    const seen: string[] = [];
    const wrap = (name: string): Policy => ({
      key: name,
      handle: async (c, next) => {
        seen.push(`${name} in`);
        const res = await next(c);
        seen.push(`${name} out`);
        return new Response(`${name}(${await res.text()})`);
      },
    });
    const res = await composeChain([wrap("a"), { key: "hooks only" }, wrap("b")])(ctx, async () => {
      seen.push("last");
      return new Response("x");
    });
    expect(await res.text()).toBe("a(b(x))");
    expect(seen).toEqual(["a in", "b in", "last", "b out", "a out"]);
  });

  test("a middleware that answers early stops the chain: later ones and the last step never run", async () => {
    const seen: string[] = [];
    const chain = composeChain([
      { key: "deny", handle: async () => new Response("denied", { status: 403 }) },
      { key: "later", handle: async (c, next) => (seen.push("later"), next(c)) },
    ]);
    const res = await chain(ctx, async () => (seen.push("last"), new Response("x")));
    expect(res.status).toBe(403);
    expect(seen).toEqual([]);
  });

  test("linked once per last step: alternating last steps each get their own, with the context passed along", async () => {
    const tag: Policy = { key: "tag", handle: async (c, next) => new Response(`tag(${await (await next(c)).text()})`) };
    const chain = composeChain([tag, tag]);
    const one = async (c: RequestContext) => new Response(`one:${c.path}`);
    const two = async (c: RequestContext) => new Response(`two:${c.path}`);
    const answers: string[] = [];
    for (const [path, last] of [["/a", one], ["/b", two], ["/c", one]] as const) answers.push(await (await chain({ path } as RequestContext, last)).text());
    expect(answers).toEqual(["tag(tag(one:/a))", "tag(tag(two:/b))", "tag(tag(one:/c))"]);
  });
});

describe("send and present hooks", () => {
  test("run in list order; an asynchronous send is awaited before the next", async () => {
    const req = { url: new URL("http://up/x"), method: "POST", headers: new Headers(), body: "{}" } as UpstreamRequest;
    await runSend(
      [
        { key: "slow", send: async (r) => (await Bun.sleep(5), r.headers.append("x-order", "slow")) },
        { key: "fast", send: (r) => r.headers.append("x-order", "fast") },
      ],
      req,
      ctx,
    );
    expect(req.headers.get("x-order")).toBe("slow, fast");
    const headers = new Headers();
    runPresent([{ key: "a", present: (h) => h.set("x-last", "a") }, { key: "b", present: (h) => h.set("x-last", "b") }], headers, ctx);
    expect(headers.get("x-last")).toBe("b");
  });
});

describe("bodyDraft", () => {
  test("the client's body is never changed; the first change makes a copy", () => {
    const client = { model: "m", temperature: 1 };
    const draft = bodyDraft(client);
    expect(draft.body).toBe(client);
    expect(draft.changed).toBe(false);
    draft.delete("absent");
    expect(draft.changed).toBe(false);
    expect(draft.body).toBe(client);
    draft.set("temperature", 0.2);
    draft.delete("model");
    expect(draft.changed).toBe(true);
    expect(draft.body).toEqual({ temperature: 0.2 });
    expect(client).toEqual({ model: "m", temperature: 1 });
  });
});

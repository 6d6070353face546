/**
 * Embeddings: the client's model is kept (a provider pinned to a chat model still embeds, as the
 * guide expects), aliases and body policies apply; translated for providers whose embeddings API
 * differs, passed through for OpenAI-format ones.
 */
import type { ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import { bodyDraft, runPrepare } from "../policies/chain.ts";
import type { RequestContext } from "../server/context.ts";
import { answer, JSON_HEADERS, readUpstreamText, relayJson, upstreamError } from "./answer.ts";
import { callProvider } from "./call.ts";
import { firstAnswer } from "./targets.ts";
import type { Usage } from "./types.ts";

export async function serveEmbeddings(ctx: RequestContext, targets: readonly ProviderTarget[]): Promise<Response> {
  const client = await ctx.json();
  if (client.input === undefined) throw new HttpError(400, "request is missing field 'input'", { code: "missing_field", param: "input" });
  ctx.outcome.requested("embeddings", typeof client.model === "string" ? client.model : undefined);
  return await firstAnswer(ctx, targets, embed, client);
}

async function embed(ctx: RequestContext, target: ProviderTarget, client: Record<string, unknown>): Promise<Response> {
  const draft = bodyDraft(client);
  if (typeof draft.body.model !== "string") {
    if (target.model === undefined) throw new HttpError(400, "request is missing string field 'model'", { code: "missing_model", param: "model" });
    draft.set("model", target.model);
  }
  runPrepare(target.policies, draft, ctx);
  const body = draft.body;
  const model = body.model as string;
  const call = (path: string, payload: string | Uint8Array, headers?: Record<string, string>, recordAttempt = true) =>
    callProvider(ctx, target, { path, body: payload, headers, recordAttempt });

  const emb = target.provider.embeddings;
  if (!emb) {
    const path = target.pathOverride ?? target.provider.nativePath("embeddings", model);
    if (path === undefined) throw new HttpError(400, `embeddings are not supported for provider ${target.provider.telemetryName}`, { code: "unsupported_route" });
    const res = await call(path, draft.changed ? JSON.stringify(body) : await ctx.bytes());
    return await (res.ok ? relayJson(ctx, target, res, "data") : upstreamError(ctx, target, res));
  }
  const translated = emb.request({ ...body }, model);
  const path = target.pathOverride ?? emb.path(model);
  const bodies = Array.isArray(translated) ? translated : [translated];
  const answers = await sendEach(bodies.length, (i) => call(path, bodies[i]!.body, bodies[i]!.headers, i === 0));
  const failed = answers.find((r) => !r.ok);
  if (failed) {
    for (const r of answers) if (r !== failed) r.body?.cancel().catch(() => {});
    return await upstreamError(ctx, target, failed);
  }
  const texts = await Promise.all(answers.map((r) => readUpstreamText(r, ctx.bufferLimit)));
  const text = Array.isArray(translated) ? `[${texts.join(",")}]` : texts[0]!;
  let out: { json: string; usage: Usage | undefined };
  try {
    out = emb.response(text, model, body, answers[0]!.headers);
  } catch {
    throw new HttpError(502, `upstream ${target.provider.telemetryName} returned an answer the gateway could not read`, { code: "upstream_invalid_response" });
  }
  return answer(ctx, target, new Response(out.json, { headers: JSON_HEADERS }), { usage: out.usage });
}

/** Runs `count` upstream calls, at most four at a time, answers in call order; stops starting new ones after a failure. */
async function sendEach(count: number, call: (i: number) => Promise<Response>): Promise<Response[]> {
  const answers: Response[] = [];
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < count && !failed) {
      const i = next++;
      answers[i] = await call(i);
      if (!answers[i]!.ok) failed = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, count) }, worker));
  return answers.filter((r) => r !== undefined);
}

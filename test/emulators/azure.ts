/**
 * An Azure OpenAI / AI Foundry upstream for tests. It accepts only the URL schemes Azure serves
 * and answers like Azure when a request is wrong:
 *   /openai/v1/{suffix}                              v1 API (no api-version, or api-version=preview)
 *   /openai/deployments/{deployment}/{suffix}        deployment API, api-version required
 *   /openai/responses, /openai/models                same, without a deployment
 *   /api/projects/{project}/openai/v1/{suffix}       Foundry project endpoint
 * Auth is an `api-key` header or an Entra ID bearer token. Answers are the OpenAI emulator's
 * (Azure speaks the OpenAI format), plus a small Responses API answer; like Azure, `responses`
 * refuses input items it did not issue as OpenAI does, an unknown id with a 400 rather than a 404
 * (responses-items.ts). Built on the shared
 * scripted-upstream API (scripted.ts): every request is recorded, and a request Azure would accept
 * is answered by `script(fn)`, then `enqueue(...)` (exact Responses), then those defaults.
 */
import { openaiUpstream } from "../../bench/upstream.ts";
import { inputRefusal, issuedNothing } from "./responses-items.ts";
import { startScriptedUpstream, type RecordedRequest, type ScriptedUpstream } from "./scripted.ts";

export type { RecordedRequest };

export type AzureEmulator = ScriptedUpstream<Response>;

export interface AzureEmulatorOptions {
  apiKey?: string;
  /** Entra ID tokens it accepts as `Authorization: Bearer` */
  entraTokens?: string[];
}

const SUFFIXES = "chat/completions|embeddings|responses|models";
const V1 = new RegExp(`^/openai/v1/(${SUFFIXES})$`);
const DEPLOYMENT = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;
const UNDEPLOYED = /^\/openai\/(responses|models)$/;
const FOUNDRY = new RegExp(`^/api/projects/([^/]+)/openai/v1/(${SUFFIXES})$`);
const DATED_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

export function startAzureEmulator(opts: AzureEmulatorOptions = {}): AzureEmulator {
  const openai = openaiUpstream({ chunks: 4, delayMs: 0 });
  const issued = issuedNothing();
  issued.ids.add(AZURE_MESSAGE_ID);
  return startScriptedUpstream<Response>({
    name: "azure",
    defaultReply(rec) {
      const suffix = (V1.exec(rec.path) ?? FOUNDRY.exec(rec.path) ?? DEPLOYMENT.exec(rec.path) ?? UNDEPLOYED.exec(rec.path))!.at(-1)!;
      if (suffix === "responses") return responsesAnswer(rec.json as { model?: string; input?: unknown });
      return openai(new Request(`http://azure/v1/${suffix}`, { method: rec.method, headers: rec.headers, body: rec.body || undefined }));
    },
    async answer(rec, reply) {
      const version = new URLSearchParams(rec.query).get("api-version");
      const v1 = V1.exec(rec.path) ?? FOUNDRY.exec(rec.path);
      const dated = DEPLOYMENT.exec(rec.path) ?? UNDEPLOYED.exec(rec.path);
      if (!v1 && !dated) return azureError(404, "404", "Resource not found");
      if (v1 && version !== null && version !== "preview") {
        return azureError(400, "BadRequest", `API version not supported: the v1 API takes no api-version or 'preview' (got '${version}')`);
      }
      if (dated && (version === null || !DATED_VERSION.test(version))) {
        return azureError(404, "404", "Resource not found");
      }

      const key = rec.headers.get("api-key");
      const bearer = /^Bearer (.+)$/.exec(rec.headers.get("authorization") ?? "")?.[1];
      const authorized = (key !== null && key === opts.apiKey) || (bearer !== undefined && (opts.entraTokens ?? []).includes(bearer));
      if (!authorized) {
        return azureError(
          401,
          "401",
          "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        );
      }
      const refusal = rec.method === "POST" && rec.path.endsWith("/responses") ? inputRefusal(rec.json, issued, 400) : undefined;
      return refusal ?? (await reply())!;
    },
  });
}

/** The id of the message in its own Responses answer (the one item it issues). */
const AZURE_MESSAGE_ID = "msg_azure_1";

function azureError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

function responsesAnswer(body: { model?: string; input?: unknown }): Response {
  const input = typeof body?.input === "string" ? body.input : "your input";
  return Response.json({
    id: "resp_azure_1",
    object: "response",
    created_at: 1_764_000_000,
    status: "completed",
    model: body?.model ?? "gpt-4o-mini",
    output: [
      {
        id: AZURE_MESSAGE_ID,
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: `Azure answered: ${input}`, annotations: [] }],
      },
    ],
    usage: { input_tokens: 5, output_tokens: 4, total_tokens: 9 },
  });
}

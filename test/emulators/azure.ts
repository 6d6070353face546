/**
 * An Azure OpenAI / AI Foundry upstream for tests. It accepts only the URL schemes Azure serves
 * and answers like Azure when a request is wrong:
 *   /openai/v1/{suffix}                              v1 API (no api-version, or api-version=preview)
 *   /openai/deployments/{deployment}/{suffix}        deployment API, api-version required
 *   /openai/responses, /openai/models                same, without a deployment
 *   /api/projects/{project}/openai/v1/{suffix}       Foundry project endpoint
 * Auth is an `api-key` header or an Entra ID bearer token. Answers are the OpenAI emulator's
 * (Azure speaks the OpenAI format), plus a small Responses API answer. Every request is recorded.
 */
import { openaiUpstream } from "../../bench/upstream.ts";
import { receive, type ReceivedRequest } from "./record.ts";

export type RecordedRequest = ReceivedRequest;

export interface AzureEmulator {
  origin: string;
  host: string;
  requests: RecordedRequest[];
  stop(): void;
}

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
  const requests: RecordedRequest[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const rec = await receive(req);
      requests.push(rec);

      const version = url.searchParams.get("api-version");
      const v1 = V1.exec(url.pathname) ?? FOUNDRY.exec(url.pathname);
      const dated = DEPLOYMENT.exec(url.pathname) ?? UNDEPLOYED.exec(url.pathname);
      if (!v1 && !dated) return azureError(404, "404", "Resource not found");
      if (v1 && version !== null && version !== "preview") {
        return azureError(400, "BadRequest", `API version not supported: the v1 API takes no api-version or 'preview' (got '${version}')`);
      }
      if (dated && (version === null || !DATED_VERSION.test(version))) {
        return azureError(404, "404", "Resource not found");
      }

      const key = req.headers.get("api-key");
      const bearer = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
      const authorized = (key !== null && key === opts.apiKey) || (bearer !== undefined && (opts.entraTokens ?? []).includes(bearer));
      if (!authorized) {
        return azureError(
          401,
          "401",
          "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        );
      }

      const suffix = v1 ? v1[v1.length - 1]! : dated![dated!.length - 1]!;
      if (suffix === "responses") return responsesAnswer(rec.json as { model?: string; input?: unknown });
      return openai(new Request(`http://azure/v1/${suffix}`, { method: req.method, headers: req.headers, body: rec.body || undefined }));
    },
  });
  return {
    origin: `http://127.0.0.1:${server.port}`,
    host: `127.0.0.1:${server.port}`,
    requests,
    stop: () => void server.stop(true),
  };
}

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
        id: "msg_azure_1",
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: `Azure answered: ${input}`, annotations: [] }],
      },
    ],
    usage: { input_tokens: 5, output_tokens: 4, total_tokens: 9 },
  });
}

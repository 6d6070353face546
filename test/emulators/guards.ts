/**
 * Emulators of the guard services the gateway calls, each speaking its documented API and
 * checking what the service checks (paths, credentials, SigV4 for Bedrock), on the shared
 * scripted-upstream API (scripted.ts): a reply is a JSON value (200) or a Response.
 *
 *   webhook      POST /request {"body":{"messages":[...]}}, /response {"body":{"choices":[...]}} -> {"action": ...}
 *   moderation   POST /v1/moderations {model, input} (OpenAI; Bearer key) -> {id, model, results:[{flagged, categories, category_scores}]}
 *   bedrock      POST /guardrail/{id}/version/{v}/apply {source, content} (SigV4) -> {action, outputs, assessments, usage}
 *   modelArmor   POST /v1/projects/{p}/locations/{l}/templates/{t}:sanitizeUserPrompt | :sanitizeModelResponse (Bearer) -> {sanitizationResult}
 *   azure        POST /contentsafety/text:analyze | text:detectJailbreak ?api-version (Ocp-Apim-Subscription-Key) -> {blocklistsMatch, categoriesAnalysis} | {jailbreakAnalysis}
 *
 * Default replies decide from the text (so tests can run end to end without scripts): see each.
 */
import { TEST_CREDENTIALS, verifySignature } from "./bedrock.ts";
import { startScriptedUpstream, type RecordedRequest, type ScriptedUpstream } from "./scripted.ts";

export type GuardReply = unknown;
export type GuardEmulator = ScriptedUpstream<GuardReply>;

function serve(name: string, check: (req: RecordedRequest, raw: Request) => Promise<Response | undefined> | Response | undefined, defaultReply: (req: RecordedRequest) => GuardReply): GuardEmulator {
  return startScriptedUpstream<GuardReply>({
    name,
    defaultReply,
    async answer(req, reply, raw) {
      const refused = await check(req, raw);
      if (refused) return refused;
      const r = await reply();
      return r instanceof Response ? r : Response.json(r);
    },
  });
}

const texts = (req: RecordedRequest): string => JSON.stringify(req.json ?? {});

/** Passes everything unless scripted. */
export function startWebhookEmulator(): GuardEmulator {
  return serve(
    "guard webhook",
    // a webhook may live under a prefix (the guard's `:path` header)
    (req) => (!["POST", "PUT"].includes(req.method) || !/\/(request|response)$/.test(req.path) ? new Response("not found", { status: 404 }) : undefined),
    () => ({ action: { reason: "ok" } }),
  );
}

export const MODERATION_KEY = "sk-moderation-test";

/** Flags inputs that mention "kill". */
export function startModerationEmulator(): GuardEmulator {
  return serve(
    "openai moderation",
    (req) => {
      if (req.headers.get("authorization") !== `Bearer ${MODERATION_KEY}`) return Response.json({ error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } }, { status: 401 });
      return req.path === "/v1/moderations" ? undefined : new Response("not found", { status: 404 });
    },
    (req) => {
      const inputs: string[] = Array.isArray(req.json?.input) ? req.json.input : [String(req.json?.input)];
      return {
        id: "modr-1",
        model: req.json?.model,
        results: inputs.map((t) => {
          const flagged = /\bkill\b/i.test(t);
          return { flagged, categories: { violence: flagged }, category_scores: { violence: flagged ? 0.97 : 0.01 }, category_applied_input_types: { violence: ["text"] } };
        }),
      };
    },
  );
}

/** "secret plan" is blocked; e-mail addresses are anonymised to {EMAIL}. */
export function startBedrockGuardrailsEmulator(region = "us-east-1"): GuardEmulator {
  return serve(
    "bedrock guardrails",
    async (req, raw) => {
      if (!/^\/guardrail\/[^/]+\/version\/[^/]+\/apply$/.test(req.path)) return new Response(JSON.stringify({ message: "Unknown operation" }), { status: 404 });
      const bad = await verifySignature(raw, new URL(raw.url), req.body, TEST_CREDENTIALS, region);
      return bad ? new Response(JSON.stringify({ message: bad.message }), { status: 403, headers: { "x-amzn-errortype": bad.type } }) : undefined;
    },
    (req) => {
      const blocks: { text: { text: string } }[] = req.json?.content ?? [];
      const usage = { topicPolicyUnits: 1, contentPolicyUnits: 1, wordPolicyUnits: 1, sensitiveInformationPolicyUnits: 1, sensitiveInformationPolicyFreeUnits: 0, contextualGroundingPolicyUnits: 0 };
      if (/secret plan/i.test(texts(req))) {
        return { action: "GUARDRAIL_INTERVENED", outputs: [{ text: "Sorry, I cannot help with that." }], assessments: [{ topicPolicy: { topics: [{ name: "Plans", type: "DENY", action: "BLOCKED" }] } }], usage };
      }
      if (/@/.test(texts(req))) {
        return {
          action: "GUARDRAIL_INTERVENED",
          outputs: blocks.map((b) => ({ text: b.text.text.replace(/[\w.+-]+@[\w.-]+/g, "{EMAIL}") })),
          assessments: [{ sensitiveInformationPolicy: { piiEntities: [{ type: "EMAIL", match: "x", action: "ANONYMIZED" }] } }],
          usage,
        };
      }
      return { action: "NONE", outputs: [], assessments: [], usage };
    },
  );
}

/** Prompt injection ("ignore previous instructions") is a MATCH_FOUND. */
export function startModelArmorEmulator(): GuardEmulator {
  return serve(
    "model armor",
    (req) => {
      if (!/^Bearer .+/.test(req.headers.get("authorization") ?? "")) return Response.json({ error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } }, { status: 401 });
      return /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/templates\/[^/:]+:(sanitizeUserPrompt|sanitizeModelResponse)$/.test(req.path) ? undefined : new Response("not found", { status: 404 });
    },
    (req) => {
      const hit = /ignore previous instructions/i.test(texts(req));
      const state = hit ? "MATCH_FOUND" : "NO_MATCH_FOUND";
      return {
        sanitizationResult: {
          filterMatchState: state,
          filterResults: {
            pi_and_jailbreak: { piAndJailbreakFilterResult: { executionState: "EXECUTION_SUCCESS", matchState: state, confidenceLevel: hit ? "HIGH" : undefined } },
            rai: { raiFilterResult: { executionState: "EXECUTION_SUCCESS", matchState: "NO_MATCH_FOUND" } },
          },
          invocationResult: "SUCCESS",
        },
      };
    },
  );
}

export const AZURE_KEY = "azure-content-safety-test-key";

/** "hurt" is Violence severity 4; "forbidden" hits the blocklist; "DAN" is a jailbreak. */
export function startAzureContentSafetyEmulator(): GuardEmulator {
  return serve(
    "azure content safety",
    (req) => {
      if (req.headers.get("ocp-apim-subscription-key") !== AZURE_KEY) return Response.json({ error: { code: "401", message: "Access denied due to invalid subscription key." } }, { status: 401 });
      if (!/^\?api-version=\d{4}-\d{2}-\d{2}/.test(req.query)) return Response.json({ error: { code: "InvalidRequest", message: "api-version is required" } }, { status: 400 });
      return ["/contentsafety/text:analyze", "/contentsafety/text:detectJailbreak"].includes(req.path) ? undefined : new Response("not found", { status: 404 });
    },
    (req) => {
      const text = String(req.json?.text ?? "");
      if (req.path.endsWith("detectJailbreak")) return { jailbreakAnalysis: { detected: /\bDAN\b/.test(text) } };
      const blocked = /forbidden/i.test(text) && (req.json?.blocklistNames ?? []).length > 0;
      return {
        blocklistsMatch: blocked ? [{ blocklistName: req.json.blocklistNames[0], blocklistItemId: "1", blocklistItemText: "forbidden" }] : [],
        categoriesAnalysis: ["Hate", "SelfHarm", "Sexual", "Violence"].map((category) => ({ category, severity: category === "Violence" && /hurt/i.test(text) ? 4 : 0 })),
      };
    },
  );
}

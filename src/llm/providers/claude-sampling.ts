/**
 * The sampling fields Claude takes, from an OpenAI request, the same on every route to Claude
 * (Anthropic, Claude on Vertex, Claude on Bedrock). Claude refuses with 400:
 *   - with thinking on, a `temperature` other than 1, any `top_k`, and a `top_p` under 0.95
 *     (Anthropic's extended thinking: "Thinking isn't compatible with temperature or top_k
 *     modifications"): an OpenAI client's `reasoning_effort` with its usual `temperature` met it;
 *   - on Claude Opus 4.1 and later models, `temperature` and `top_p` together ("`temperature` and
 *     `top_p` cannot both be specified for this model. Please use only one."): Gemini CLI sends
 *     both, as many OpenAI clients do.
 * What Claude would refuse is left out (`top_p` rather than `temperature` when both are set), so
 * the request is answered rather than refused.
 */
import type { ChatRequest } from "../types.ts";

export interface ClaudeSampling {
  temperature?: number | undefined;
  top_p?: number | undefined;
  top_k?: number | undefined;
}

export function claudeSampling(req: ChatRequest, model: string, thinking: Record<string, unknown> | undefined): ClaudeSampling {
  const out: ClaudeSampling = {};
  const thinks = thinking !== undefined && thinking.type !== "disabled";
  if (typeof req.temperature === "number" && (!thinks || req.temperature === 1)) out.temperature = req.temperature;
  if (typeof req.top_p === "number" && (!thinks || req.top_p >= 0.95)) out.top_p = req.top_p;
  if (typeof req.top_k === "number" && !thinks) out.top_k = req.top_k;
  if (out.temperature !== undefined && out.top_p !== undefined && refusesBoth(model)) delete out.top_p;
  return out;
}

/** `claude-<family>-<major>[-<minor>]` in an Anthropic, Vertex (`@date`) or Bedrock (`anthropic.`, `us.anthropic.`) model id */
const VERSION = /claude-(?:opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?=$|[-@:.])/;

/** Claude Opus 4.1 and every later model take `temperature` or `top_p`, not both. */
function refusesBoth(model: string): boolean {
  const m = VERSION.exec(model);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = m[2] === undefined ? 0 : Number(m[2]);
  return major > 4 || (major === 4 && minor >= 1);
}

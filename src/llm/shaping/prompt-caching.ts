/**
 * `ai.promptCaching`: cache markers on the hub request for providers that take them (Anthropic
 * `cache_control`, Bedrock `cachePoint` for the models that cache, Claude on Vertex), where
 * agentgateway puts them:
 *   cacheSystem    the last system message, when the system prompt is at least `minTokens`
 *                  (estimated as agentgateway does: words x 1.3)
 *   cacheMessages  the end of the second-to-last turn (the history, not the new turn; a turn
 *                  is consecutive messages the providers merge: user and tool results, or
 *                  assistant), `cacheMessageOffset` turns further back, at least the first
 *   cacheTools     the last tool
 * Markers the client set are kept, and no more than 4 are used (the providers' limit). The
 * translators carry a message-level `cache_control` to the right block.
 */
import { z } from "zod";
import type { BodyDraft } from "../../policies/types.ts";

export const PromptCachingSchema = z
  .strictObject({
    cacheSystem: z.boolean().nullish(),
    cacheMessages: z.boolean().nullish(),
    cacheTools: z.boolean().nullish(),
    minTokens: z.int().min(0).nullish(),
    cacheMessageOffset: z.int().min(0).nullish(),
  })
  .meta({ id: "PromptCachingConfig" });

export type RawPromptCaching = z.output<typeof PromptCachingSchema>;

/** `gen_ai.provider.name`s whose translators turn markers into the provider's own. */
const MARKS = new Set(["anthropic", "aws.bedrock", "gcp.vertex_ai"]);
const MARKER = { type: "ephemeral" };
const MAX_MARKERS = 4;

type Message = Record<string, unknown> & { role?: unknown; content?: unknown };

/** Whether a provider (by telemetry name, translated) gets cache markers. */
export function takesCacheMarkers(provider: string, translated: boolean): boolean {
  return translated && MARKS.has(provider);
}

export function compilePromptCaching(raw: RawPromptCaching | null | undefined): ((draft: BodyDraft) => void) | undefined {
  if (!raw) return undefined;
  const system = raw.cacheSystem ?? true;
  const messages = raw.cacheMessages ?? true;
  const tools = raw.cacheTools ?? false;
  const minTokens = raw.minTokens === undefined ? 1024 : (raw.minTokens ?? 0);
  const offset = raw.cacheMessageOffset ?? 0;
  if (!system && !messages && !tools) return undefined;
  return (draft) => {
    const list = Array.isArray(draft.body.messages) ? (draft.body.messages as Message[]).map((m) => ({ ...m })) : undefined;
    const toolList = Array.isArray(draft.body.tools) ? (draft.body.tools as Message[]).map((t) => ({ ...t })) : undefined;
    let used = countMarkers(list) + countMarkers(toolList);
    const mark = (o: Message | undefined) => {
      if (!o || o.cache_control !== undefined || used >= MAX_MARKERS) return false;
      o.cache_control = MARKER;
      used++;
      return true;
    };
    let changed = false;
    if (list && system) {
      const sys = list.filter(isSystem);
      if (sys.length > 0 && estimateTokens(sys) >= minTokens) changed = mark(sys.at(-1)) || changed;
    }
    if (list && messages) {
      const ends = turnEnds(list);
      if (ends.length >= 2) changed = mark(ends[Math.max(0, ends.length - 2 - offset)]) || changed;
    }
    if (toolList && tools) changed = mark(toolList.at(-1)) || changed;
    if (!changed) return;
    if (list) draft.set("messages", list);
    if (toolList) draft.set("tools", toolList);
  };
}

function isSystem(m: Message): boolean {
  return m.role === "system" || m.role === "developer";
}

/** The last message of each turn (system messages aside; tool results belong to the user's turn). */
function turnEnds(list: Message[]): Message[] {
  const ends: Message[] = [];
  let side: string | undefined;
  for (const m of list) {
    if (isSystem(m)) continue;
    const s = m.role === "assistant" ? "assistant" : "user";
    if (s === side) ends[ends.length - 1] = m;
    else ends.push(m);
    side = s;
  }
  return ends;
}

function countMarkers(list: Message[] | undefined): number {
  let n = 0;
  for (const m of list ?? []) {
    if (m.cache_control !== undefined) n++;
    if (Array.isArray(m.content)) for (const p of m.content as Message[]) if (p?.cache_control !== undefined) n++;
  }
  return n;
}

/** agentgateway's estimate (Bedrock's heuristic): words x 1.3. */
function estimateTokens(messages: Message[]): number {
  let words = 0;
  for (const m of messages) {
    const texts = typeof m.content === "string" ? [m.content] : Array.isArray(m.content) ? (m.content as Message[]).map((p) => (typeof p?.text === "string" ? p.text : "")) : [];
    for (const t of texts) words += t.split(/\s+/).filter((w) => w !== "").length;
  }
  return Math.floor((words * 13) / 10);
}

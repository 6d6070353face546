/**
 * Bedrock tool names must match `[a-zA-Z0-9_-]{1,64}`; OpenAI's allow more (dots, colons, long
 * MCP-style names). Invalid names are sanitised for the request and restored in the answer.
 *
 * The map is built per request from every name the request uses (the `tools`, `tool_choice` and
 * the assistant history), so the same name always gets the same substitute within a
 * conversation turn. Valid names keep their spelling and are claimed first; a sanitised name that
 * collides with another gets a short hash of the original.
 */
import type { ChatRequest } from "../../types.ts";

const VALID_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_LENGTH = 64;

export interface ToolNames {
  /** original -> Bedrock name, for names that changed */
  toBedrock: Map<string, string>;
  /** Bedrock name -> original */
  toOriginal: Map<string, string>;
}

/** The renames a request needs, or undefined when every name is valid (the common case). */
export function toolNamesOf(req: ChatRequest): ToolNames | undefined {
  const names = new Set<string>();
  collectNames(req, names);
  let invalid: string[] | undefined;
  for (const n of names) if (!VALID_NAME.test(n)) (invalid ??= []).push(n);
  if (!invalid) return undefined;
  const taken = new Set([...names].filter((n) => VALID_NAME.test(n)));
  const toBedrock = new Map<string, string>();
  const toOriginal = new Map<string, string>();
  for (const original of invalid) {
    let name = original.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, MAX_LENGTH) || "tool";
    if (taken.has(name)) {
      const suffix = `_${(Bun.hash(original) & 0xffffffffn).toString(16)}`;
      name = name.slice(0, MAX_LENGTH - suffix.length) + suffix;
    }
    taken.add(name);
    toBedrock.set(original, name);
    toOriginal.set(name, original);
  }
  return { toBedrock, toOriginal };
}

export function bedrockName(names: ToolNames | undefined, original: string): string {
  return names?.toBedrock.get(original) ?? original;
}

export function originalName(names: ToolNames | undefined, bedrock: string): string {
  return names?.toOriginal.get(bedrock) ?? bedrock;
}

function collectNames(req: ChatRequest, names: Set<string>): void {
  if (Array.isArray(req.tools)) {
    for (const t of req.tools as { function?: { name?: unknown } }[]) if (typeof t?.function?.name === "string") names.add(t.function.name);
  }
  const choice = req.tool_choice as { function?: { name?: unknown } } | undefined;
  if (typeof choice?.function?.name === "string") names.add(choice.function.name);
  for (const m of req.messages) {
    if (m.role !== "assistant" || !Array.isArray(m.tool_calls)) continue;
    for (const c of m.tool_calls as { function?: { name?: unknown } }[]) if (typeof c?.function?.name === "string") names.add(c.function.name);
  }
}

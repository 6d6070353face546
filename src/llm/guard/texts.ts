/**
 * The texts guards read, taken from the hub request (OpenAI chat messages) by scope, and put
 * back when a guard masks them:
 *   systemPrompt  system and developer messages
 *   messages      user and assistant text
 *   toolOutput    tool results
 *   toolInput     the arguments of the assistant's tool calls (JSON text, masked as one string)
 * Text parts of multi-part content are separate texts; images and audio are not read.
 */
import type { Scope, TextSlot } from "./types.ts";

type Msg = Record<string, unknown>;

/** Where a text lives: message index, then a content part index (-1: string content) or a tool call. */
type Ref = { m: number; part: number } | { m: number; call: number };

export interface RequestTexts {
  slots: TextSlot[];
  /** the messages with `texts` (one per slot) in place; the input is not changed */
  apply(texts: readonly string[]): Msg[];
}

function scopeOf(role: unknown): Scope {
  return role === "system" || role === "developer" ? "systemPrompt" : role === "tool" ? "toolOutput" : "messages";
}

export function requestTexts(messages: readonly Msg[], scopes: ReadonlySet<Scope>): RequestTexts {
  // loops, not forEach callbacks: this runs on every guarded request (closures made per call)
  const found = new Texts(messages);
  const toolInput = scopes.has("toolInput");
  for (let m = 0; m < messages.length; m++) {
    const msg = messages[m]!;
    const role = typeof msg.role === "string" ? msg.role : "user";
    const scope = scopeOf(role);
    if (scopes.has(scope)) {
      const c = msg.content;
      if (typeof c === "string") found.add({ role, scope, text: c }, { m, part: -1 });
      else if (Array.isArray(c)) {
        for (let part = 0; part < c.length; part++) {
          const p = c[part] as Msg | undefined;
          if (p?.type === "text" && typeof p.text === "string") found.add({ role, scope, text: p.text }, { m, part });
        }
      }
    }
    if (toolInput && Array.isArray(msg.tool_calls)) {
      for (let call = 0; call < msg.tool_calls.length; call++) {
        const args = ((msg.tool_calls[call] as Msg | undefined)?.function as Msg | undefined)?.arguments;
        if (typeof args === "string") found.add({ role, scope: "toolInput", text: args }, { m, call });
      }
    }
  }
  return found;
}

class Texts implements RequestTexts {
  readonly slots: TextSlot[] = [];
  private readonly refs: Ref[] = [];

  constructor(private readonly messages: readonly Msg[]) {}

  add(slot: TextSlot, ref: Ref): void {
    this.slots.push(slot);
    this.refs.push(ref);
  }

  apply(texts: readonly string[]): Msg[] {
    return applyTexts(this.messages, this.refs, this.slots, texts);
  }
}

function applyTexts(messages: readonly Msg[], refs: readonly Ref[], slots: readonly TextSlot[], texts: readonly string[]): Msg[] {
  const out = [...messages];
  const own = (m: number) => (out[m] === messages[m] ? (out[m] = { ...messages[m] }) : out[m]!);
  refs.forEach((ref, i) => {
    const text = texts[i];
    if (text === undefined || text === slots[i]!.text) return;
    const msg = own(ref.m);
    if ("call" in ref) {
      const calls = [...(msg.tool_calls as Msg[])];
      const call = calls[ref.call]!;
      calls[ref.call] = { ...call, function: { ...(call.function as Msg), arguments: text } };
      msg.tool_calls = calls;
    } else if (ref.part === -1) {
      msg.content = text;
    } else {
      const parts = [...(msg.content as Msg[])];
      parts[ref.part] = { ...parts[ref.part], text };
      msg.content = parts;
    }
  });
  return out;
}

/**
 * What every guard is, whatever it calls: it reads texts (with their role and where they come
 * from) and says pass, mask (the same texts, rewritten) or reject. Guards know nothing of wire
 * formats: the request side reads the hub request (texts.ts), the response side the hub parts
 * of an answer, so every client format the gateway serves gets them.
 */
import type { RequestContext } from "../../server/context.ts";
import type { Rule } from "./regex.ts";

export type Phase = "request" | "response";

/** Where a request text comes from (agentgateway's `ContentScope`). */
export type Scope = "systemPrompt" | "messages" | "toolOutput" | "toolInput";

export interface TextSlot {
  role: string;
  scope: Scope;
  text: string;
}

export type Verdict =
  | { action: "pass" }
  /** one text per slot, in order */
  | { action: "mask"; texts: string[] }
  /** status and message default to the guard's `rejection` */
  | { action: "reject"; status?: number | undefined; message?: string | undefined };

export interface Rejection {
  status: number;
  message: string;
  headers: Record<string, string>;
}

export interface Guard {
  /** the config key (`regex`, `webhook`, ...), for logs and errors */
  readonly kind: string;
  /** request guards: the texts it reads */
  readonly scope: ReadonlySet<Scope>;
  readonly rejection: Rejection;
  /** a guard service that fails (unreachable, an error, a timeout) lets the text through */
  readonly failOpen: boolean;
  /** regex guards: the rules and whether they reject, so streams are masked as they go */
  readonly regex?: { rules: readonly Rule[]; reject: boolean } | undefined;
  check(slots: readonly TextSlot[], phase: Phase, ctx: RequestContext): Verdict | Promise<Verdict>;
}

/** The compiled `promptGuard` of one provider target. */
export interface GuardSet {
  request: readonly Guard[];
  response: readonly Guard[];
  /** response guards also apply to streamed answers (`streaming: Enabled`) */
  streaming: boolean;
  /**
   * The configuration it was compiled from (JSON): each provider target compiles its own set, and
   * sets with equal keys give equal verdicts on equal texts (a failover reuses them, request.ts).
   */
  key: string;
}

/** The default rejection (agentgateway's). */
export const DEFAULT_REJECTION: Rejection = { status: 403, message: "The request was rejected due to inappropriate content", headers: {} };

/** Guard service calls time out after this (agentgateway's default). */
export const GUARD_TIMEOUT_MS = 10_000;

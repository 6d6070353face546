/**
 * A client format: how one API family's clients speak to the gateway (OpenAI chat completions,
 * Anthropic Messages, OpenAI Responses, Gemini generateContent). A format reads the client's body
 * into the hub request (an OpenAI chat request, the lingua franca every provider translator takes)
 * and writes the hub's answer parts back in the client's own shape. When the provider speaks the
 * client's format natively, neither runs: the request passes through (passthrough.ts).
 */
import type { HttpError } from "../../http/errors.ts";
import type { ClientStreamWriter, HubMessage } from "../hub/parts.ts";
import type { ChatRequest, RouteType } from "../types.ts";

export type ClientFormatName = "openai" | "anthropic" | "responses" | "gemini";

/** What the writers need to know about the request (set by the reader). */
export interface WriterContext {
  /** the gateway's model for this request (echoed unless the provider reports its own) */
  model: string;
  /** unix seconds */
  created: number;
  /** the reader's notes for the writer (e.g. which tools the client declared as custom tools) */
  state?: unknown;
}

/** The client's request as the hub request, and what the answer needs. */
export interface HubRead {
  request: ChatRequest;
  /** the answer is an event stream (keep-alive comments may go before it) */
  stream: boolean;
  state?: unknown;
  /**
   * Fields the reader derived from the client's own settings (Claude's `thinking` budget as a
   * `reasoning_effort`...): sent to translated providers, not to OpenAI-format ones, which would
   * refuse them on models that do not reason.
   */
  derived?: readonly string[];
  /**
   * The 400 a provider that would get the request translated answers with: it asks for what only
   * a provider of the client's own format can give (Responses' stored responses, Gemini's stream
   * as one JSON array). Known only once a provider is chosen, so the reader sets it rather than
   * throwing.
   */
  nativeOnly?: HttpError;
}

/** Where the request came from: the path names the model and the action on Gemini routes. */
export interface ReadContext {
  path: string;
  query: string;
  headers: Headers;
}

export interface ClientFormat {
  readonly name: Exclude<ClientFormatName, "openai">;
  /** the route type a provider serves natively when it speaks this format (then: passthrough) */
  readonly nativeRoute: RouteType;
  read(body: Record<string, unknown>, from: ReadContext): HubRead;
  writer(ctx: WriterContext): ClientStreamWriter;
  /** a whole (non-streamed) answer as the client's JSON text */
  whole(msg: HubMessage, ctx: WriterContext): string;
}

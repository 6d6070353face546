/**
 * The relays of chat streams (pipeline.ts has what relaying is): an OpenAI-format stream passed
 * through with its usage tapped, and a provider-native stream translated for the client. Each is
 * a class, made once per stream: its methods need not be closures made with it.
 */
import { HttpError } from "../../http/errors.ts";
import { failureHttpError, failureLogLine } from "../hub/failure.ts";
import { openaiErrorEvent } from "../hub/openai-writer.ts";
import type { ByteTranslator, ClientStreamWriter, StreamFailure } from "../hub/parts.ts";
import { lookup } from "../lookup.ts";
import { STATUS_OF_TYPE } from "../providers/openai/stream.ts";
import type { Usage } from "../types.ts";
import { createOpenAITap, type OpenAITap } from "./openai-tap.ts";
import { relayBody, textOf, type Relay, type RelayedBody, type RelayOptions, type Step } from "./pipeline.ts";
import { createSseFramer } from "./sse.ts";

/**
 * OpenAI-format upstream: bytes go to the client as they came, cut only at event boundaries.
 * The tap (openai-tap.ts) checks events cheaply, reads usage for telemetry, and drops the final
 * usage-only chunk when the gateway (not the client) asked for it. The gateway's own error events
 * (invalid, incomplete, broken streams) are the OpenAI writer's (same codes as translated streams).
 */
export function passthroughStream(opts: RelayOptions & { clientWantsUsage: boolean }): Promise<RelayedBody> {
  return relayBody(opts, new PassthroughRelay(opts.clientWantsUsage));
}

class PassthroughRelay implements Relay {
  private readonly framer = createSseFramer();
  private readonly tap: OpenAITap;
  private failure: StreamFailure | undefined = undefined;

  constructor(clientWantsUsage: boolean) {
    this.tap = createOpenAITap(clientWantsUsage);
  }

  usage(): Usage | undefined {
    return this.tap.usage;
  }

  responseModel(): string | undefined {
    return this.tap.responseModel;
  }

  step(chunk: Uint8Array): Step {
    return this.tap.scan(this.framer.push(chunk));
  }

  end(): string {
    const last = textOf(this.tap.scan(this.framer.end()).out);
    if (this.tap.sawDone || this.tap.sawError) return last;
    // as the OpenAI reader of translated streams does: an answer that finished needs no [DONE]
    if (this.framer.pending === 0 && this.tap.completeWithoutDone) return last;
    const message = this.framer.pending > 0 ? "upstream stream was cut off mid-event" : "upstream stream ended without [DONE]";
    return last + this.broken({ kind: "incomplete", message });
  }

  broken(failure: StreamFailure): string {
    this.failure = failure;
    return openaiErrorEvent(failure);
  }

  rejection(head: Uint8Array | string): HttpError | undefined {
    return startsWithErrorEvent(head) ? passthroughRejection(textOf(head)) : undefined;
  }

  error(): string | undefined {
    return this.failure ? failureLogLine(this.failure) : this.tap.sawError ? "upstream error event" : undefined;
  }
}

const ERROR_EVENT = new TextEncoder().encode('data: {"error"');

function startsWithErrorEvent(head: Uint8Array | string): boolean {
  if (typeof head === "string") return head.startsWith('data: {"error"');
  const bytes = head;
  if (bytes.byteLength < ERROR_EVENT.byteLength) return false;
  for (let i = 0; i < ERROR_EVENT.byteLength; i++) if (bytes[i] !== ERROR_EVENT[i]) return false;
  return true;
}

/**
 * The error event that opens an OpenAI-format stream (the upstream's own, or the gateway's), as
 * an HttpError: the event's status when it has one, else its type's.
 */
function passthroughRejection(text: string): HttpError {
  const json = text.slice(6, text.indexOf("\n\n") === -1 ? undefined : text.indexOf("\n\n"));
  let err: { message?: unknown; type?: unknown; code?: unknown; param?: unknown; status?: unknown } = {};
  try {
    err = (JSON.parse(json) as { error?: typeof err }).error ?? {};
  } catch {
    // keep the defaults below
  }
  const type = typeof err.type === "string" ? err.type : "api_error";
  const status = typeof err.status === "number" && err.status >= 400 && err.status <= 599 ? err.status : (lookup(STATUS_OF_TYPE, type) ?? 502);
  return new HttpError(status, typeof err.message === "string" ? err.message : "upstream error", {
    type,
    code: typeof err.code === "string" ? err.code : null,
    param: typeof err.param === "string" ? err.param : null,
  });
}

// ---------------------------------------------------------------------------------------------

/**
 * A provider-native stream, translated: `translator` turns the upstream bytes into hub parts
 * written to `writer`, whose text is sent after each read. A failure before any content (the
 * writer's `contentStarted` still false) is answered as an HTTP error with the failure's status,
 * type and code.
 */
export function translatedStream(
  opts: RelayOptions & {
    translator: ByteTranslator;
    writer: ClientStreamWriter;
  },
): Promise<RelayedBody> {
  return relayBody(opts, new TranslatedRelay(opts.translator, opts.writer));
}

class TranslatedRelay implements Relay {
  constructor(
    private readonly translator: ByteTranslator,
    private readonly writer: ClientStreamWriter,
  ) {}

  usage(): Usage | undefined {
    return this.writer.reportedUsage;
  }

  responseModel(): string | undefined {
    return this.writer.model;
  }

  error(): string | undefined {
    return this.writer.failure ? failureLogLine(this.writer.failure) : undefined;
  }

  step(chunk: Uint8Array): Step {
    this.translator.push(chunk);
    return { out: this.writer.take(), done: this.writer.done };
  }

  end(): string {
    this.translator.end();
    // a translator that neither finished nor failed the answer: never a silent cut
    if (!this.writer.done) this.writer.fail({ kind: "incomplete", message: "upstream stream ended before the answer was complete" });
    return this.writer.take();
  }

  broken(failure: StreamFailure): string {
    if (!this.writer.done) {
      this.translator.interrupted?.();
      this.writer.fail(failure);
    }
    return this.writer.take();
  }

  rejection(): HttpError | undefined {
    return this.writer.failure && !this.writer.contentStarted ? failureHttpError(this.writer.failure) : undefined;
  }
}

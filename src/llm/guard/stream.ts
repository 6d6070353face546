/**
 * Response guards on streamed answers (`streaming: Enabled`), on the hub parts before any client
 * format serialises them, so every client format gets the same guard.
 *
 * A `GuardedWriter` sits between a provider's translator and the client's writer:
 *   - regex guards mask the answer text as it comes (regex.ts StreamMasker): text that could
 *     still become part of a match is held back, never sent unmasked; a `reject` guard fails the
 *     stream (before any content: a real HTTP error with the rejection's status);
 *   - guard services (webhook, Bedrock, Model Armor, Azure) check the text in windows of about
 *     1 KiB (and at every tool call, the finish and the end), each sent with the 256 characters
 *     before it; nothing of a window is sent before its verdict. Those checks are asynchronous,
 *     so such streams go through `gateUpstream` (stream-gate.ts), which awaits them between reads.
 * Other parts (reasoning, tool calls, the finish) keep their order: held text goes out before them.
 */
import type { ClientStreamWriter, FinishReason, JsonStringLiteral, StreamFailure } from "../hub/parts.ts";
import { literal, literalText, trustedLiteral } from "../hub/parts.ts";
import type { RequestContext } from "../../server/context.ts";
import type { Usage } from "../types.ts";
import { StreamMasker } from "./regex.ts";
import { runGuard } from "./request.ts";
import type { Guard, GuardSet } from "./types.ts";
import { HttpError } from "../../http/errors.ts";

const WINDOW = 1024;
const OVERLAP = 256;

interface Window {
  text: string;
  /** the part that closed the window (tool call, finish, end), written after its text */
  then?: () => void;
}

/** A plain string as a JSON literal (no stringify when nothing needs escaping). */
function asLiteral(text: string): JsonStringLiteral {
  return /["\\\u0000-\u001f\u2028\u2029]/.test(text) ? literal(text) : trustedLiteral(`"${text}"`);
}

export class GuardedWriter implements ClientStreamWriter {
  private readonly maskers: { masker: StreamMasker; guard: Guard }[];
  private readonly remote: readonly Guard[];
  private open = "";
  private readonly windows: Window[] = [];
  private checkedTail = "";
  private rejected = false;

  constructor(
    private readonly inner: ClientStreamWriter,
    set: GuardSet,
    private readonly ctx: RequestContext,
  ) {
    this.maskers = set.response.filter((g) => g.regex).map((guard) => ({ masker: new StreamMasker(guard.regex!.rules), guard }));
    this.remote = set.response.filter((g) => !g.regex);
  }

  // ---- what the pipeline reads: the client writer's
  take(): string {
    return this.inner.take();
  }
  get done(): boolean {
    return this.inner.done || this.rejected;
  }
  get contentStarted(): boolean {
    return this.inner.contentStarted;
  }
  get failure(): StreamFailure | undefined {
    return this.inner.failure;
  }
  get reportedUsage(): Usage | undefined {
    return this.inner.reportedUsage;
  }
  get model(): string {
    return this.inner.model;
  }

  /** Windows waiting for a guard service's verdict (see stream-gate.ts). */
  get waiting(): boolean {
    return this.windows.length > 0;
  }

  // ---- the parts
  start(meta: { id?: string | undefined; model?: string | undefined }): void {
    this.inner.start(meta);
  }
  text(value: JsonStringLiteral): void {
    if (this.rejected) return;
    const text = literalText(value);
    const out = this.mask(text);
    // the usual case: nothing held, nothing masked: the provider's literal goes on as it is
    if (out === text && this.remote.length === 0) this.inner.text(value);
    else this.release(out);
  }
  usage(usage: Usage): void {
    this.inner.usage(usage);
  }
  reasoning(value: JsonStringLiteral): void {
    this.after(() => this.inner.reasoning(value));
  }
  thinkingSigned(signature: string): void {
    this.after(() => this.inner.thinkingSigned(signature));
  }
  thinkingRedacted(data: string): void {
    this.after(() => this.inner.thinkingRedacted(data));
  }
  toolCall(call: Parameters<ClientStreamWriter["toolCall"]>[0]): void {
    this.after(() => this.inner.toolCall(call));
  }
  toolArgs(index: number, fragment: JsonStringLiteral): void {
    this.after(() => this.inner.toolArgs(index, fragment));
  }
  answerSignature(signature: string): void {
    this.after(() => this.inner.answerSignature(signature));
  }
  finish(reason: FinishReason): void {
    this.after(() => this.inner.finish(reason));
  }
  end(): void {
    this.after(() => this.inner.end());
    if (this.rejected) return;
    // one verdict per regex guard per stream, for the record (guard services record each window)
    for (const { masker, guard } of this.maskers) this.ctx.outcome.guarded("response", guard.kind, masker.matched ? "mask" : "allow");
  }
  fail(failure: StreamFailure): void {
    if (this.rejected || this.inner.done) return;
    // held text goes out only when every guard has seen it: masked text without guard services
    if (this.remote.length === 0) this.release(this.flushMaskers());
    this.windows.length = 0;
    this.inner.fail(failure);
  }

  /** Checks the waiting windows with the guard services and writes what passes. */
  async drain(): Promise<void> {
    while (this.windows.length > 0 && !this.rejected) {
      const w = this.windows.shift()!;
      if (w.text !== "") {
        const text = await this.checkWindow(w.text);
        if (text === undefined) return;
        if (text !== "") this.inner.text(asLiteral(text));
      }
      w.then?.();
    }
  }

  private mask(text: string): string {
    let out = text;
    for (const { masker, guard } of this.maskers) {
      out = masker.push(out);
      if (masker.matched && guard.regex!.reject) {
        this.reject(guard);
        return "";
      }
    }
    return out;
  }

  private flushMaskers(): string {
    let out = "";
    for (const { masker, guard } of this.maskers) {
      out = masker.push(out) + masker.flush();
      if (masker.matched && guard.regex!.reject) {
        this.reject(guard);
        return "";
      }
    }
    return out;
  }

  private release(text: string): void {
    if (text === "" || this.rejected) return;
    if (this.remote.length === 0) return this.inner.text(asLiteral(text));
    this.open += text;
    if (this.open.length >= WINDOW) this.closeWindow();
  }

  /** A part after the text so far: the text is released (masked) first. */
  private after(write: () => void): void {
    if (this.rejected) return;
    this.release(this.flushMaskers());
    if (this.rejected) return;
    if (this.remote.length === 0) return write();
    this.closeWindow(write);
  }

  private closeWindow(then?: () => void): void {
    this.windows.push({ text: this.open, then });
    this.open = "";
  }

  /** The window's text as it may go out (masked), or undefined when the stream was rejected. */
  private async checkWindow(text: string): Promise<string | undefined> {
    const overlap = this.checkedTail;
    let window = overlap + text;
    this.checkedTail = window.slice(-OVERLAP);
    for (const guard of this.remote) {
      try {
        const v = await runGuard(guard, [{ role: "assistant", scope: "messages", text: window }], "response", this.ctx);
        if (v.action === "mask") window = v.texts[0] ?? window;
      } catch (err) {
        const e = err instanceof HttpError ? err : new HttpError(503, "prompt guard failed", { code: "guardrail_failed" });
        this.rejected = true;
        this.windows.length = 0;
        this.inner.fail({ kind: "provider", message: e.message, status: e.status, providerCode: e.code ?? "guardrail_rejected" });
        return undefined;
      }
    }
    // what was sent before this window cannot be taken back: only the rest is written
    let cut = 0;
    while (cut < overlap.length && cut < window.length && window[cut] === overlap[cut]) cut++;
    return window.slice(cut);
  }

  private reject(guard: Guard): void {
    this.rejected = true;
    this.ctx.outcome.guarded("response", guard.kind, "reject");
    this.windows.length = 0;
    this.inner.fail({ kind: "provider", message: guard.rejection.message, status: guard.rejection.status, providerCode: "guardrail_rejected" });
  }
}

/**
 * What every client stream writer shares: the text buffer the pipeline drains, the end and the
 * failure, the latest usage and the model echoed. Each format's writer extends it with its own
 * serialisation of the parts.
 */
import type { Usage } from "../types.ts";
import type { FinishReason, JsonStringLiteral, StreamFailure } from "./parts.ts";

export abstract class WriterBase {
  protected buf = "";
  protected ended = false;
  protected failed: StreamFailure | undefined;
  protected latestUsage: Usage | undefined;
  protected finishReason: FinishReason | undefined;
  protected echoed: string;
  /** the provider's answer id, when it gave one */
  protected providerId: string | undefined;
  /** the answer has begun on the wire (the format's opening event went out) */
  protected opened = false;

  constructor(model: string) {
    this.echoed = model;
  }

  get done(): boolean {
    return this.ended;
  }
  get contentStarted(): boolean {
    return this.opened;
  }
  get failure(): StreamFailure | undefined {
    return this.failed;
  }
  get reportedUsage(): Usage | undefined {
    return this.latestUsage;
  }
  get model(): string {
    return this.echoed;
  }

  take(): string {
    const out = this.buf;
    this.buf = "";
    return out;
  }

  start(meta: { id?: string | undefined; model?: string | undefined }): void {
    if (this.opened || this.ended) return;
    if (meta.model) this.echoed = meta.model;
    if (meta.id) this.providerId = meta.id;
  }

  usage(usage: Usage): void {
    if (!this.ended) this.latestUsage = usage;
  }

  finish(reason: FinishReason): void {
    if (!this.ended && this.finishReason === undefined) this.finishReason = reason;
  }

  answerSignature(_signature: string): void {}

  /** the part carries nothing (an empty literal) or comes after the end */
  protected skip(value: JsonStringLiteral): boolean {
    return this.ended || value.length === 2;
  }
}

/**
 * `buffer`: whole bodies instead of streams, for backends (or clients) that need them. agentgateway's
 * shape: `request` and `response`, each `{maxBytes, failureMode: failClosed | failOpen}`.
 *   - request: the client's body is read in full before the backend is called (within the
 *     gateway's body limit); one over `maxBytes` is a 413 (failClosed) or goes on (failOpen).
 *   - response: the backend's answer is read in full before the client gets it; one over
 *     `maxBytes` is a 502 (failClosed) or streams on from what was read (failOpen).
 */
import { z } from "zod";
import { HttpError } from "../http/errors.ts";
import { definePolicy } from "./types.ts";

const BufferBody = z.strictObject({ maxBytes: z.number().int().min(0).nullish(), failureMode: z.enum(["failClosed", "failOpen"]).nullish() });
const BufferSchema = z.strictObject({ request: BufferBody.nullish(), response: BufferBody.nullish() }).meta({ id: "BufferPolicy" });

/** without `maxBytes`: agentgateway's default buffer size (frontendPolicies.http.maxBufferSize), so no answer is held unbounded */
const DEFAULT_MAX_BYTES = 2_097_152;

type Limit = { maxBytes: number; failOpen: boolean };
const limitOf = (b: z.output<typeof BufferBody> | null | undefined): Limit | undefined =>
  b ? { maxBytes: b.maxBytes ?? DEFAULT_MAX_BYTES, failOpen: b.failureMode === "failOpen" } : undefined;

export const buffer = definePolicy({
  key: "buffer",
  schema: BufferSchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw) {
    const request = limitOf(raw.request);
    const response = limitOf(raw.response);
    if (!request && !response) return undefined;
    return {
      key: "buffer",
      async handle(ctx, next) {
        if (request && ctx.method !== "GET" && ctx.method !== "HEAD" && ctx.req.body !== null) {
          const body = await ctx.bytes(); // the backend call then sends these bytes
          if (body.length > request.maxBytes && !request.failOpen) {
            throw new HttpError(413, `request body of ${body.length} bytes is over buffer.request.maxBytes (${request.maxBytes})`, { code: "request_too_large" });
          }
        }
        const res = await next(ctx);
        return response && res.body ? await buffered(res, response) : res;
      },
    };
  },
});

/** The answer with its whole body read, or what `limit` says when it is larger. */
async function buffered(res: Response, limit: Limit): Promise<Response> {
  const reader = res.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return new Response(Buffer.concat(chunks), res);
    chunks.push(value);
    size += value.length;
    if (size <= limit.maxBytes) continue;
    if (!limit.failOpen) {
      await reader.cancel();
      throw new HttpError(502, `the backend's answer is over buffer.response.maxBytes (${limit.maxBytes} bytes)`, { code: "response_too_large" });
    }
    return new Response(resumed(chunks, reader), res); // failOpen: what was read, then the rest as it comes
  }
}

function resumed(head: readonly Uint8Array[], rest: { read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>; cancel(reason?: unknown): Promise<void> }): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      if (i < head.length) return controller.enqueue(head[i++]!);
      const { done, value } = await rest.read();
      if (done || !value) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => rest.cancel(reason),
  });
}

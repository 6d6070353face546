/**
 * The Response object of the OpenAI Responses API, as the Responses writer's lifecycle events
 * carry it (`response.created` ... `response.completed` / `response.failed`), and the failure
 * events of a stream that failed before the writer said anything: after a keep-alive comment the
 * status is committed, and Responses clients (Codex, the SDKs' stream helpers) read a failure from
 * `response.failed` (Codex takes its retry or give-up decision from its error code).
 */
import type { Usage } from "../types.ts";

export function responsesUsage(u: Usage | undefined): Record<string, unknown> | null {
  if (!u) return null;
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.totalTokens,
  };
}

/** The Response object around `output` (JSON text) in `status`. */
export function responseObject(f: { id: string; created: number; model: string; status: string; output: string; usage: Usage | undefined; incomplete?: string | undefined; error?: string | undefined }): string {
  const incomplete = f.incomplete ? `{"reason":"${f.incomplete}"}` : "null";
  return (
    `{"id":${JSON.stringify(f.id)},"object":"response","created_at":${f.created},"status":"${f.status}","background":false,"error":${f.error ?? "null"},` +
    `"incomplete_details":${incomplete},"instructions":null,"max_output_tokens":null,"model":${JSON.stringify(f.model)},"output":${f.output},` +
    `"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":null,` +
    `"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":null,"truncation":"disabled","usage":${JSON.stringify(responsesUsage(f.usage))},"metadata":{}}`
  );
}

/** `{"code":...,"message":...}`: the `error` of a failed Response. */
export function responseError(code: string, message: string): string {
  return `{"code":${JSON.stringify(code)},"message":${JSON.stringify(message)}}`;
}

/**
 * A whole failed stream: `error` (the SDKs raise it) then `response.failed` with an empty output,
 * numbered from 0 as the first events of their stream.
 */
export function failedResponseEvents(f: { id: string; created: number; model: string; code: string; message: string }): string {
  const response = responseObject({ id: f.id, created: f.created, model: f.model, status: "failed", output: "[]", usage: undefined, error: responseError(f.code, f.message) });
  return (
    `event: error\ndata: {"type":"error","sequence_number":0,"code":${JSON.stringify(f.code)},"message":${JSON.stringify(f.message)},"param":null}\n\n` +
    `event: response.failed\ndata: {"type":"response.failed","sequence_number":1,"response":${response}}\n\n`
  );
}

/**
 * Non-2xx upstream answers -> OpenAI-shaped errors with the upstream's status. Bodies that are
 * already OpenAI-shaped pass through byte for byte; others (provider shapes, `{"detail": ...}`,
 * HTML error pages from proxies) are rewrapped with the best message found. Rate-limit hints
 * (`retry-after`, `x-ratelimit-*`) are kept.
 */
import { readTextPrefix } from "../http/body.ts";
import { errorBody, errorTypeFor, HttpError } from "../http/errors.ts";
import type { ProviderTarget } from "../config/model.ts";

const KEPT_HEADERS = /^(retry-after|retry-after-ms|x-ratelimit-.*|x-request-id|request-id|x-amzn-requestid|anthropic-ratelimit-.*)$/;
const MAX_ERROR_BODY = 1 << 20;

export async function upstreamErrorResponse(res: Response, target: ProviderTarget): Promise<{ response: Response; message: string }> {
  const text = scrub(await readCapped(res), target);
  const headers = new Headers({ "content-type": "application/json" });
  for (const [name, value] of res.headers) if (KEPT_HEADERS.test(name)) headers.set(name, value);
  const status = res.status;

  if (target.provider.error) {
    const e = target.provider.error(status, text, res.headers);
    if (e.headers) for (const name in e.headers) headers.set(name, e.headers[name]!);
    return {
      response: new Response(errorBody(e.message, e.type ?? errorTypeFor(status), e.code ?? null), { status, headers }),
      message: e.message,
    };
  }

  const parsed = tryJson(text);
  const err = parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>).error : undefined;
  if (err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string") {
    return { response: new Response(text, { status, headers }), message: (err as { message: string }).message };
  }
  const message = messageOf(parsed) ?? describeNonJson(status, res.headers.get("content-type"), text);
  const code = typeof (err as { code?: unknown } | undefined)?.code === "string" ? (err as { code: string }).code : null;
  return { response: new Response(errorBody(message, errorTypeFor(status), code), { status, headers }), message };
}

/**
 * An error object in place of a 2xx answer (`{"error": {"code", "message"}}`, no answer): OpenRouter
 * answers an error met after the model started with status 200 and the error in the body
 * (openrouter.ai/docs/api/errors). It becomes the HTTP error it stands for: the error's `code` as
 * status when it is one (400-599), else 502, and its message, scrubbed. Undefined when the text
 * is no such object.
 */
export function errorInAnswer(text: string, target: ProviderTarget): HttpError | undefined {
  const err = (tryJson(text) as { error?: unknown } | null | undefined)?.error;
  if (!err || typeof err !== "object") return undefined;
  const { message, code } = err as { message?: unknown; code?: unknown };
  if (typeof message !== "string") return undefined;
  const status = typeof code === "number" && Number.isInteger(code) && code >= 400 && code <= 599 ? code : 502;
  return new HttpError(status, scrub(message, target), { code: typeof code === "string" ? code : "upstream_error" });
}

/** An upstream that echoes the gateway's credential (some proxies do) must not pass it on. */
export function scrub(text: string, target: ProviderTarget): string {
  for (const secret of target.secrets) {
    const value = secret.reveal();
    if (value.length >= 4 && text.includes(value)) text = text.replaceAll(value, "[redacted]");
  }
  return text;
}

/** The error body's first MiB (the rest is not read: an error page can be endless). */
async function readCapped(res: Response): Promise<string> {
  return readTextPrefix(res.body, MAX_ERROR_BODY);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The message in common non-OpenAI error bodies. */
export function messageOf(parsed: unknown): string | undefined {
  if (!parsed || typeof parsed !== "object") return undefined;
  const o = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | undefined;
  if (!o || typeof o !== "object") return undefined;
  if (typeof o.error === "string") return o.error;
  if (o.error && typeof o.error === "object" && typeof (o.error as Record<string, unknown>).message === "string") {
    return (o.error as Record<string, string>).message;
  }
  for (const key of ["message", "detail", "Message", "msg"]) if (typeof o[key] === "string") return o[key] as string;
  return undefined;
}

function describeNonJson(status: number, contentType: string | null, text: string): string {
  const kind = contentType?.split(";")[0] ?? "no content type";
  const snippet = bodySnippet(text);
  return `upstream returned HTTP ${status} (${kind})${snippet ? `: ${snippet}` : ""}`;
}

/**
 * What a non-JSON error body says, short enough for a message: an HTML page's title when it has
 * one (proxies' error pages), else its text without tags, whitespace collapsed, 200 characters.
 */
export function bodySnippet(text: string): string {
  const title = /<title>([^<]{1,200})<\/title>/i.exec(text)?.[1]?.trim();
  return title || text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
}

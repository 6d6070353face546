/**
 * Bedrock errors -> OpenAI-shaped errors. HTTP errors name their kind in `x-amzn-ErrorType`
 * (`ThrottlingException:http://internal.amazon.com/...`) and carry `{"message": ...}`; in-stream
 * exceptions name theirs in `:exception-type` (`throttlingException`). Both map to the status
 * Bedrock documents for the kind, and the kind becomes the OpenAI `code` (in-stream ones through
 * the stream hub, stream.ts).
 */
import { upstreamErrorType } from "../../hub/failure.ts";
import { lookup } from "../../lookup.ts";
import { messageOf } from "../../upstream-error.ts";

/**
 * Statuses as Bedrock documents them. The in-stream exceptions have theirs in the stream unions
 * of the API reference: ConverseStreamOutput
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html:
 * internalServerException 500, modelStreamErrorException 424, serviceUnavailableException 503,
 * throttlingException 429, validationException 400) and InvokeModelWithResponseStream's
 * ResponseStream (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ResponseStream.html:
 * the same, plus modelTimeoutException 408).
 */
const STATUS: Record<string, number> = {
  ValidationException: 400,
  ServiceQuotaExceededException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  IncompleteSignatureException: 403,
  ExpiredTokenException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ConflictException: 409,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  InternalFailure: 500,
  ServiceUnavailableException: 503,
};

/** The status of an exception kind, either spelling (`ThrottlingException`, `throttlingException`). */
export function exceptionStatus(kind: string): number {
  return lookup(STATUS, httpErrorType(kind)) ?? 500;
}

/** An in-stream exception's name as HTTP errors spell it (`throttlingException` -> `ThrottlingException`). */
export function httpErrorType(kind: string): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

/** `ValidationException:http://internal.amazon.com/coral/...` -> `ValidationException` */
function errorKind(headers: Headers, parsed: unknown): string | undefined {
  const header = headers.get("x-amzn-errortype");
  if (header) return header.split(":")[0];
  const type = (parsed as { __type?: unknown } | undefined)?.__type;
  return typeof type === "string" ? type.split("#").pop() : undefined;
}

/**
 * AWS signature errors explain themselves with the canonical request and string to sign, which
 * include the session token and the signature: never pass those on.
 */
export function redactAwsMessage(message: string): string {
  const cut = message.indexOf("The Canonical String for this request");
  const head = cut === -1 ? message : message.slice(0, cut);
  return head
    .replace(/Signature=[0-9a-f]+/gi, "Signature=[redacted]")
    .replace(/Credential=[^,\s]+/g, "Credential=[redacted]")
    .replace(/X-Amz-Security-Token[=:][^,\s&]+/gi, "X-Amz-Security-Token=[redacted]")
    .trim();
}

export function bedrockHttpError(status: number, body: string, headers: Headers): { message: string; type: string; code: string | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const kind = errorKind(headers, parsed);
  const found = messageOf(parsed);
  const message = found !== undefined ? redactAwsMessage(found) : `Bedrock returned HTTP ${status}${kind ? ` (${kind})` : ""}`;
  return { message: message || kind || `Bedrock returned HTTP ${status}`, type: upstreamErrorType(status), code: kind ?? null };
}

/**
 * Providers whose API keys travel in their own header (Anthropic `x-api-key`, Azure `api-key`,
 * AI Studio `x-goog-api-key`). The core always places a configured or client key as
 * `Authorization: Bearer <key>`; each provider's finalizeHeaders moves it with this helper, and
 * says which tokens are real bearer tokens (OAuth, Entra ID, ...) that must stay where they are.
 */

/** The token of an `Authorization` value using the Bearer scheme (any case); undefined otherwise. */
export function bearerToken(authorization: string | null): string | undefined {
  if (authorization === null) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(authorization);
  const token = m?.[1]?.trim();
  return token ? token : undefined;
}

/**
 * Moves a bearer token to `headerName` (replacing any value there) unless `keepAsBearer(token)`.
 * Other authorization schemes are left alone: they are not keys the gateway placed.
 */
export function moveBearerToKeyHeader(headers: Headers, headerName: string, keepAsBearer: (token: string) => boolean): void {
  const token = bearerToken(headers.get("authorization"));
  if (token === undefined || keepAsBearer(token)) return;
  headers.delete("authorization");
  headers.set(headerName, token);
}

/**
 * A JWT (three base64url segments, the first a JSON header so `eyJ…`): OAuth access and ID
 * tokens, Entra ID tokens. Provider API keys never have this shape.
 */
export function isJwt(token: string): boolean {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(token);
}

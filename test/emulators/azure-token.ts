/**
 * Fake Microsoft identity endpoints for tests, one server playing both:
 *   POST /{tenant}/oauth2/v2.0/token        Entra ID client-credentials grant (secret or client assertion)
 *   GET  /metadata/identity/oauth2/token    the instance metadata service (managed identity)
 * Point the gateway at it with AZURE_AUTHORITY_HOST / AZURE_POD_IDENTITY_AUTHORITY_HOST. Tokens
 * are JWT-shaped like Entra's and numbered (`tokens` lists the ones issued); errors use Entra's
 * shape (`error`, `error_description` with an AADSTS code).
 */

export interface TokenCall {
  kind: "clientCredentials" | "imds";
  tenant?: string;
  form?: URLSearchParams;
  query?: URLSearchParams;
  headers: Headers;
}

export interface AzureTokenEmulator {
  origin: string;
  calls: TokenCall[];
  /** tokens issued so far, in order */
  tokens: string[];
  /** lifetimes (seconds) of the next tokens, used in order; then 3599 */
  lifetimes: number[];
  stop(): void;
}

export interface AzureTokenOptions {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  /** the federated token a workload identity presents */
  federatedToken?: string;
}

export function startAzureTokenEmulator(opts: AzureTokenOptions): AzureTokenEmulator {
  const calls: TokenCall[] = [];
  const tokens: string[] = [];
  const lifetimes: number[] = [];
  const issue = () => {
    const n = tokens.length + 1;
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const token = `${b64({ typ: "JWT", alg: "RS256" })}.${b64({ aud: "https://cognitiveservices.azure.com", n })}.c2lnbmF0dXJl${n}`;
    tokens.push(token);
    return { token, lifetime: lifetimes.shift() ?? 3599 };
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const grant = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      if (grant && req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        calls.push({ kind: "clientCredentials", tenant: grant[1], form, headers: req.headers });
        if (grant[1] !== opts.tenantId) return entraError(400, "invalid_request", `AADSTS90002: Tenant '${grant[1]}' not found.`);
        if (form.get("grant_type") !== "client_credentials" || form.get("scope") !== "https://cognitiveservices.azure.com/.default") {
          return entraError(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'.");
        }
        if (form.get("client_id") !== opts.clientId) return entraError(400, "unauthorized_client", `AADSTS700016: Application with identifier '${form.get("client_id")}' was not found in the directory.`);
        const bySecret = opts.clientSecret !== undefined && form.get("client_secret") === opts.clientSecret;
        const byAssertion =
          opts.federatedToken !== undefined &&
          form.get("client_assertion_type") === "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
          form.get("client_assertion") === opts.federatedToken;
        if (!bySecret && !byAssertion) {
          return entraError(401, "invalid_client", `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${opts.clientId}'.`);
        }
        const { token, lifetime } = issue();
        return Response.json({ token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token });
      }
      if (url.pathname === "/metadata/identity/oauth2/token" && req.method === "GET") {
        calls.push({ kind: "imds", query: url.searchParams, headers: req.headers });
        if (req.headers.get("metadata") !== "true") return entraError(400, "invalid_request", "Required metadata header not specified");
        if (url.searchParams.get("resource") !== "https://cognitiveservices.azure.com") return entraError(400, "invalid_resource", "AADSTS500011: The resource principal was not found.");
        const clientId = url.searchParams.get("client_id");
        if (clientId !== null && clientId !== opts.clientId) return entraError(400, "invalid_request", "Identity not found");
        const { token, lifetime } = issue();
        return Response.json({
          access_token: token,
          expires_in: String(lifetime),
          expires_on: String(Math.floor(Date.now() / 1000) + lifetime),
          resource: "https://cognitiveservices.azure.com",
          token_type: "Bearer",
        });
      }
      return new Response("not found", { status: 404 });
    },
  });
  return { origin: `http://127.0.0.1:${server.port}`, calls, tokens, lifetimes, stop: () => void server.stop(true) };
}

function entraError(status: number, error: string, description: string): Response {
  return Response.json(
    { error, error_description: `${description}\r\nTrace ID: 0b0c0d0e-0000-4000-8000-000000000000\r\nCorrelation ID: 11111111-2222-3333-4444-555555555555\r\nTimestamp: 2026-11-25 00:00:00Z`, error_codes: [7000215] },
    { status },
  );
}

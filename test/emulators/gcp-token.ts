/**
 * A fake Google OAuth token endpoint and metadata server. The token endpoint checks what Google
 * checks: the grant type, and the service-account JWT (RS256 signature against the key pair this
 * module generated, claims, lifetime); it records every assertion it saw. The metadata server
 * answers only requests carrying `Metadata-Flavor: Google`.
 */

export interface JwtSeen {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signatureValid: boolean;
}

export interface GcpTokenServer {
  origin: string;
  /** the token endpoint, as a key file's `token_uri` */
  tokenUri: string;
  /** `host:port`, for GCE_METADATA_HOST */
  metadataHost: string;
  assertions: JwtSeen[];
  /** form bodies of refresh_token grants */
  refreshGrants: Record<string, string>[];
  tokenCalls: number;
  metadataCalls: number;
  /** `expires_in` of issued tokens (seconds) */
  expiresIn: number;
  /** answer token requests with this error instead */
  reject: { status: number; error: string; description: string } | undefined;
  /** pause before answering a token request (lets concurrent requests overlap) */
  delayMs: number;
  /** a service-account key file (JSON text) whose private key this server verifies against */
  serviceAccountKey(overrides?: Record<string, unknown>): string;
  stop(): Promise<void>;
}

export const SA_EMAIL = "gateway@my-project.iam.gserviceaccount.com";
export const SA_KEY_ID = "4f2a9c0e7d1b3a5c6e8f0a2b4c6d8e0f1a3b5c7d";

export async function startGcpTokenServer(): Promise<GcpTokenServer> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", pair.privateKey)).toString("base64");
  const pem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;

  const s: GcpTokenServer = {
    origin: "",
    tokenUri: "",
    metadataHost: "",
    assertions: [],
    refreshGrants: [],
    tokenCalls: 0,
    metadataCalls: 0,
    expiresIn: 3599,
    reject: undefined,
    delayMs: 0,
    serviceAccountKey: (overrides = {}) =>
      JSON.stringify({
        type: "service_account",
        project_id: "my-project",
        private_key_id: SA_KEY_ID,
        private_key: pem,
        client_email: SA_EMAIL,
        client_id: "109876543210987654321",
        auth_uri: "https://accounts.google.com/o/oauth2/auth",
        token_uri: s.tokenUri,
        auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
        universe_domain: "googleapis.com",
        ...overrides,
      }),
    stop: async () => server.stop(true),
  };

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname.startsWith("/computeMetadata/v1/instance/service-accounts/default/")) {
        if (req.headers.get("metadata-flavor") !== "Google") return new Response("Missing Metadata-Flavor:Google header.", { status: 403 });
        s.metadataCalls++;
        if (url.pathname.endsWith("/identity")) return new Response(fakeIdToken(url.searchParams.get("audience") ?? ""));
        return Response.json({ access_token: `ya29.metadata-${s.metadataCalls}`, expires_in: s.expiresIn, token_type: "Bearer" });
      }
      if (url.pathname !== "/token" || req.method !== "POST") return new Response("not found", { status: 404 });
      s.tokenCalls++;
      const form = Object.fromEntries(new URLSearchParams(await req.text()));
      if (s.delayMs) await Bun.sleep(s.delayMs);
      if (s.reject) return Response.json({ error: s.reject.error, error_description: s.reject.description }, { status: s.reject.status });
      if (form.grant_type === "refresh_token") {
        s.refreshGrants.push(form);
        return Response.json({ access_token: `ya29.user-${s.tokenCalls}`, expires_in: s.expiresIn, token_type: "Bearer", scope: "https://www.googleapis.com/auth/cloud-platform" });
      }
      if (form.grant_type !== "urn:ietf:params:oauth:grant-type:jwt-bearer" || !form.assertion) {
        return Response.json({ error: "unsupported_grant_type", error_description: "Invalid grant_type" }, { status: 400 });
      }
      const [h, c, sig] = form.assertion.split(".");
      const seen: JwtSeen = {
        header: JSON.parse(Buffer.from(h!, "base64url").toString()),
        claims: JSON.parse(Buffer.from(c!, "base64url").toString()),
        signatureValid: await crypto.subtle.verify("RSASSA-PKCS1-v1_5", pair.publicKey, Buffer.from(sig!, "base64url"), new TextEncoder().encode(`${h}.${c}`)),
      };
      s.assertions.push(seen);
      if (!seen.signatureValid) return Response.json({ error: "invalid_grant", error_description: "Invalid JWT Signature." }, { status: 400 });
      if (typeof seen.claims.target_audience === "string") return Response.json({ id_token: fakeIdToken(seen.claims.target_audience) });
      return Response.json({ access_token: `ya29.sa-${s.tokenCalls}`, expires_in: s.expiresIn, token_type: "Bearer" });
    },
  });
  s.origin = `http://127.0.0.1:${server.port}`;
  s.tokenUri = `${s.origin}/token`;
  s.metadataHost = `127.0.0.1:${server.port}`;
  return s;
}

/** An unsigned stand-in for a Google ID token: what matters to the gateway is its `exp`. */
function fakeIdToken(audience: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ aud: audience, iss: "https://accounts.google.com", iat: now, exp: now + 3600 })}.c2ln`;
}

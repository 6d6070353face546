/**
 * Application default credentials for `backendAuth: gcp` without a `credential` (and for the
 * Vertex provider's default auth): GOOGLE_APPLICATION_CREDENTIALS (service account or
 * authorized_user), then gcloud's file, then the metadata server (GCE_METADATA_HOST).
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clearGcpTokenCache, gcpAuthorizer } from "../../src/auth/gcp.ts";
import { HttpError } from "../../src/http/errors.ts";
import type { UpstreamRequest } from "../../src/llm/types.ts";
import { vertexAdapter } from "../../src/llm/providers/vertex/index.ts";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../emulators/anthropic.ts";
import { startGcpTokenServer, type GcpTokenServer } from "../emulators/gcp-token.ts";
import { gatewayFor } from "../helpers/gateway.ts";
import * as s from "../llm/providers/anthropic/scripts.ts";

const dir = mkdtempSync(join(tmpdir(), "gcp-adc-"));
/** a gcloud config dir with no application_default_credentials.json */
const emptyGcloud = mkdtempSync(join(tmpdir(), "gcloud-"));
let google: GcpTokenServer;

beforeAll(async () => {
  google = await startGcpTokenServer();
});
afterAll(() => google.stop());
beforeEach(() => clearGcpTokenCache());

function upstreamRequest(): UpstreamRequest {
  return { url: new URL("https://us-east5-aiplatform.googleapis.com/v1/x"), method: "POST", headers: new Headers(), body: "{}" };
}

async function authorize(env: Record<string, string>): Promise<Headers> {
  const req = upstreamRequest();
  await gcpAuthorizer({ env: { CLOUDSDK_CONFIG: emptyGcloud, ...env } })(req, { clientHeaders: new Headers(), signal: new AbortController().signal, bodyLimit: 1 << 20 });
  return req.headers;
}

async function authError(env: Record<string, string>): Promise<HttpError> {
  const err = await authorize(env).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

test("GOOGLE_APPLICATION_CREDENTIALS naming a service-account key", async () => {
  const file = join(dir, "sa.json");
  writeFileSync(file, google.serviceAccountKey({ client_email: "adc@my-project.iam.gserviceaccount.com" }));
  const headers = await authorize({ GOOGLE_APPLICATION_CREDENTIALS: file });
  expect(headers.get("authorization")).toMatch(/^Bearer ya29\.sa-\d+$/);
  expect(google.assertions.at(-1)!.claims.iss).toBe("adc@my-project.iam.gserviceaccount.com");
});

test("an authorized_user file (gcloud auth application-default login) uses its refresh token", async () => {
  const file = join(dir, "user.json");
  writeFileSync(
    file,
    JSON.stringify({ type: "authorized_user", client_id: "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com", client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty", refresh_token: "1//0e-refresh", quota_project_id: "billing-proj" }),
  );
  const headers = await authorize({ GOOGLE_APPLICATION_CREDENTIALS: file, GOOGLE_OAUTH_TOKEN_URI: google.tokenUri });
  expect(headers.get("authorization")).toMatch(/^Bearer ya29\.user-\d+$/);
  expect(headers.get("x-goog-user-project")).toBe("billing-proj");
  expect(google.refreshGrants.at(-1)).toMatchObject({ grant_type: "refresh_token", refresh_token: "1//0e-refresh" });
});

test("gcloud's application-default file when no variable names one", async () => {
  const gcloud = mkdtempSync(join(tmpdir(), "gcloud-adc-"));
  writeFileSync(join(gcloud, "application_default_credentials.json"), google.serviceAccountKey({ client_email: "wellknown@my-project.iam.gserviceaccount.com" }));
  const headers = await authorize({ CLOUDSDK_CONFIG: gcloud });
  expect(headers.get("authorization")).toMatch(/^Bearer ya29\.sa-\d+$/);
  expect(google.assertions.at(-1)!.claims.iss).toBe("wellknown@my-project.iam.gserviceaccount.com");
});

test("the metadata server, with Metadata-Flavor: Google", async () => {
  const before = google.metadataCalls;
  const headers = await authorize({ GCE_METADATA_HOST: google.metadataHost });
  expect(headers.get("authorization")).toBe(`Bearer ya29.metadata-${before + 1}`);
  await authorize({ GCE_METADATA_HOST: google.metadataHost });
  expect(google.metadataCalls).toBe(before + 1); // cached
});

test("renewal on the shared cache's clock: five minutes ahead, in the background while still valid", async () => {
  const clock = { now: Date.now() };
  const env = { CLOUDSDK_CONFIG: emptyGcloud, GCE_METADATA_HOST: google.metadataHost };
  const auth = gcpAuthorizer({ env, now: () => clock.now });
  const bearer = async () => {
    const req = upstreamRequest();
    await auth(req, { clientHeaders: new Headers(), signal: new AbortController().signal, bodyLimit: 1 << 20 });
    return req.headers.get("authorization");
  };
  const before = google.metadataCalls;
  const first = await bearer(); // expires_in 3599: due at 54:59
  clock.now += 54 * 60_000;
  expect(await bearer()).toBe(first);
  expect(google.metadataCalls).toBe(before + 1);
  clock.now += 60_000; // 4:59 left: served, and renewed behind the request
  expect(await bearer()).toBe(first);
  await Bun.sleep(50);
  expect(google.metadataCalls).toBe(before + 2);
  expect(await bearer()).toBe(`Bearer ya29.metadata-${before + 2}`);
});

test("no credential anywhere: a 503 that says what to set", async () => {
  const err = await authError({ GCE_METADATA_HOST: "127.0.0.1:9" });
  expect(err.status).toBe(503);
  expect(err.message).toContain("GOOGLE_APPLICATION_CREDENTIALS");
  expect(err.message).toContain("metadata server 127.0.0.1:9 is unreachable");
});

test("a named file that is missing or not a Google key: a 401 naming the file, not its content", async () => {
  expect((await authError({ GOOGLE_APPLICATION_CREDENTIALS: join(dir, "missing.json") })).message).toContain("missing.json cannot be read");
  const junk = join(dir, "junk.json");
  writeFileSync(junk, '{"type":"service_account","client_email":"x@y","private_key":"super-secret-not-pem"}');
  const err = await authError({ GOOGLE_APPLICATION_CREDENTIALS: junk });
  expect(err.status).toBe(401);
  expect(err.message).toContain("junk.json");
  expect(err.message).not.toContain("super-secret");
});

test("the Vertex provider's default auth is application default credentials", async () => {
  const file = join(dir, "default.json");
  writeFileSync(file, google.serviceAccountKey({ client_email: "vertex-default@my-project.iam.gserviceaccount.com" }));
  const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  process.env.GOOGLE_APPLICATION_CREDENTIALS = file;
  try {
    const auth = vertexAdapter.defaultAuth!({ projectId: "p" })!;
    const req = upstreamRequest();
    await auth(req, { clientHeaders: new Headers(), signal: new AbortController().signal, bodyLimit: 1 << 20 });
    expect(req.headers.get("authorization")).toMatch(/^Bearer ya29\.sa-\d+$/);
    expect(google.assertions.at(-1)!.claims.iss).toBe("vertex-default@my-project.iam.gserviceaccount.com");
  } finally {
    if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
  }
});

test("through the gateway: backendAuth gcp: {} on a metadata-server host", async () => {
  const emu: AnthropicEmulator = startAnthropicEmulator();
  const saved = { GCE_METADATA_HOST: process.env.GCE_METADATA_HOST, CLOUDSDK_CONFIG: process.env.CLOUDSDK_CONFIG, GAC: process.env.GOOGLE_APPLICATION_CREDENTIALS };
  process.env.GCE_METADATA_HOST = google.metadataHost;
  process.env.CLOUDSDK_CONFIG = emptyGcloud;
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  const gw = await gatewayFor("vertex", emu, { settings: "{projectId: my-project, region: europe-west1, model: claude-3-5-haiku-20241022}", auth: "{gcp: {}}" });
  try {
    emu.enqueue(turn(s.plainText));
    await gw.client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }] });
    const req = emu.requests.at(-1)!;
    expect(req.path + req.query).toBe("/v1/projects/my-project/locations/europe-west1/publishers/anthropic/models/claude-3-5-haiku@20241022:rawPredict");
    expect(req.headers.get("authorization")).toMatch(/^Bearer ya29\.metadata-\d+$/);
  } finally {
    await gw.stop();
    await emu.stop();
    for (const [k, v] of [["GCE_METADATA_HOST", saved.GCE_METADATA_HOST], ["CLOUDSDK_CONFIG", saved.CLOUDSDK_CONFIG], ["GOOGLE_APPLICATION_CREDENTIALS", saved.GAC]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

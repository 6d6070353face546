/**
 * One route per provider, each on a test upstream, with the credential the gateway must only
 * ever send there. Shared by the security suite's tests.
 */
import { TEST_CREDENTIALS } from "../emulators/bedrock.ts";

export const BACKEND_KEY = "sk-backend-secret-4f9a2c7e1b";

export interface ProviderCase {
  name: string;
  /** the `provider:` object, one line of YAML flow style */
  provider: string;
  /** the route's `backendAuth`, one line of YAML flow style */
  auth: string;
  /** the header that carries the credential upstream, and its value */
  credential: [string, string];
  /** native chat path (non-stream / stream) for `model`, with `prefix` applied as agentgateway does */
  chatPath(model: string, stream: boolean, prefix: string | undefined): string;
  /** native embeddings path, when the provider translates or serves embeddings */
  embeddingsPath?(model: string, prefix: string | undefined): string;
  /** the upstream path of a passthrough request for `/v1/files` */
  passthroughFiles(prefix: string | undefined): string;
}

/** prefix for providers where `pathPrefix` replaces the base `/v1` */
const base = (prefix: string | undefined) => (prefix === undefined ? "/v1" : prefix.replace(/\/+$/, ""));
/** prefix for providers where `pathPrefix` is prepended to the native path */
const pre = (prefix: string | undefined) => (prefix === undefined ? "" : prefix.replace(/\/+$/, ""));

export const PROVIDERS: ProviderCase[] = [
  {
    name: "openai",
    provider: "{openAI: {}}",
    auth: `{key: ${BACKEND_KEY}}`,
    credential: ["authorization", `Bearer ${BACKEND_KEY}`],
    chatPath: (_m, _s, p) => `${base(p)}/chat/completions`,
    embeddingsPath: (_m, p) => `${base(p)}/embeddings`,
    passthroughFiles: (p) => `${base(p)}/files`,
  },
  {
    name: "anthropic",
    provider: "{anthropic: {}}",
    auth: `{key: ${BACKEND_KEY}}`,
    credential: ["x-api-key", BACKEND_KEY],
    chatPath: (_m, _s, p) => `${base(p)}/messages`,
    passthroughFiles: (p) => `${base(p)}/files`,
  },
  {
    name: "bedrock",
    provider: "{bedrock: {region: us-east-1}}",
    auth: `{aws: {accessKeyId: ${TEST_CREDENTIALS.accessKeyId}, secretAccessKey: "${TEST_CREDENTIALS.secretAccessKey}", region: us-east-1}}`,
    credential: ["authorization", `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/`],
    chatPath: (m, s, p) => `${pre(p)}/model/${encodeURIComponent(m)}/${s ? "converse-stream" : "converse"}`,
    embeddingsPath: (m, p) => `${pre(p)}/model/${encodeURIComponent(m)}/invoke`,
    passthroughFiles: (p) => `${pre(p)}/files`,
  },
  {
    name: "gemini",
    provider: "{gemini: {}}",
    auth: `{key: ${BACKEND_KEY}}`,
    credential: ["x-goog-api-key", BACKEND_KEY],
    chatPath: (m, s, p) => `${pre(p)}/v1beta/models/${encodeURIComponent(m)}${s ? ":streamGenerateContent?alt=sse" : ":generateContent"}`,
    embeddingsPath: (m, p) => `${pre(p)}/v1beta/models/${encodeURIComponent(m)}:batchEmbedContents`,
    passthroughFiles: (p) => `${pre(p)}/v1beta/files`,
  },
  {
    name: "vertex",
    provider: "{vertex: {projectId: my-project, region: us-east5}}",
    auth: `{key: ${BACKEND_KEY}}`,
    credential: ["authorization", `Bearer ${BACKEND_KEY}`],
    chatPath: (m, s, p) =>
      `${pre(p)}/v1/projects/my-project/locations/us-east5/publishers/google/models/${encodeURIComponent(m)}${s ? ":streamGenerateContent?alt=sse" : ":generateContent"}`,
    embeddingsPath: (m, p) => `${pre(p)}/v1/projects/my-project/locations/us-east5/publishers/google/models/${encodeURIComponent(m)}:predict`,
    passthroughFiles: (p) => `${pre(p)}/v1/projects/my-project/locations/us-east5/files`,
  },
  {
    name: "azure",
    provider: "{azure: {resourceName: myres, resourceType: openAI, apiVersion: 2024-10-21}}",
    auth: `{key: ${BACKEND_KEY}}`,
    credential: ["api-key", BACKEND_KEY],
    chatPath: (m, _s, p) => `${pre(p)}/openai/deployments/${encodeURIComponent(m)}/chat/completions?api-version=2024-10-21`,
    embeddingsPath: (m, p) => `${pre(p)}/openai/deployments/${encodeURIComponent(m)}/embeddings?api-version=2024-10-21`,
    passthroughFiles: (p) => `${pre(p)}/openai/files`,
  },
];

/** A gateway config with one route per provider (`/<name>/...` stripped of nothing: matched by header). */
export function providerConfig(upstream: string, opts: { pathPrefix?: string; hostOverride?: boolean } = {}): string {
  const lines = ["binds:", "- port: 0", "  listeners:", "  - routes:"];
  for (const p of PROVIDERS) {
    lines.push(
      `    - name: ${p.name}`,
      `      matches: [{headers: [{name: x-provider, value: {exact: ${p.name}}}]}]`,
      `      policies: {backendAuth: ${p.auth}}`,
      "      backends:",
      `      - ai: {name: ${p.name}, provider: ${p.provider}${opts.hostOverride === false ? "" : `, hostOverride: "${upstream}"`}${opts.pathPrefix === undefined ? "" : `, pathPrefix: "${opts.pathPrefix}"`}}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

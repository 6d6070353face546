/**
 * One gateway in front of four provider emulators, a route per provider (`/claude/...`,
 * `/bedrock/...`, `/openai/...`, `/azure/...`, each rewritten to `/...`): the setup of the tests
 * of conversations that switch provider (provider-switch-ids, provider-switch-references).
 */
import { startAnthropicEmulator, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { startAzureEmulator, type AzureEmulator } from "../../emulators/azure.ts";
import { startBedrockEmulator, TEST_CREDENTIALS, type BedrockEmulator } from "../../emulators/bedrock.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { MODEL as BEDROCK_MODEL } from "../providers/bedrock/scripts.ts";

export const AZURE_KEY = "0123456789abcdef0123456789abcdef";

export interface FourProviders {
  claude: AnthropicEmulator;
  bedrock: BedrockEmulator;
  openai: OpenAIEmulator;
  azure: AzureEmulator;
  gw: TestGateway;
  stop(): Promise<void>;
}

/** A route serving `/<name>/...` as `/...` from one provider. */
const route = (name: string, auth: unknown, backend: string) => `
    - matches: [{path: {pathPrefix: /${name}/}}]
      policies: {urlRewrite: {path: {prefix: /}}, backendAuth: ${JSON.stringify(auth)}}
      backends: [{ai: ${backend}}]`;

export async function startFourProviders(): Promise<FourProviders> {
  const claude = startAnthropicEmulator();
  const bedrock = startBedrockEmulator();
  const openai = startOpenAIEmulator();
  const azure = startAzureEmulator({ apiKey: AZURE_KEY });
  const routes = [
    route("claude", { key: "sk-ant-gw" }, `{name: claude, hostOverride: "${claude.host}", provider: {anthropic: {model: claude-x}}}`),
    route("bedrock", { aws: TEST_CREDENTIALS }, `{name: bedrock, hostOverride: "${bedrock.host}", provider: {bedrock: {region: us-east-1, model: "${BEDROCK_MODEL}"}}}`),
    route("openai", { key: "sk-gw" }, `{name: openai, hostOverride: "${openai.host}", provider: {openAI: {model: gpt-5}}}`),
    route("azure", { key: AZURE_KEY }, `{name: azure, hostOverride: "${azure.host}", provider: {azure: {resourceName: myres, resourceType: openAI, model: gpt-5}}}`),
  ];
  const gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:${routes.join("")}
`);
  return {
    claude,
    bedrock,
    openai,
    azure,
    gw,
    async stop() {
      await gw.stop();
      await Promise.all([claude.stop(), bedrock.stop(), openai.stop(), azure.stop()]);
    },
  };
}

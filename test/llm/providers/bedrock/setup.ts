/** A gateway with one `bedrock` backend pointed at the emulator, SigV4 with explicit test credentials. */
import { startBedrockEmulator, TEST_CREDENTIALS, type AwsTestCredentials, type BedrockEmulator } from "../../../emulators/bedrock.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../../../helpers/gateway.ts";

export const MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0";

export interface BedrockSetup {
  emu: BedrockEmulator;
  gw: TestGateway;
  client: ReturnType<typeof openaiClient>;
  stop(): Promise<void>;
}

export interface SetupOptions {
  /** the provider's pinned model (null: none, the client's model is used) */
  model?: string | null;
  /** credentials the gateway signs with (default: the ones the emulator checks) */
  credentials?: AwsTestCredentials;
  guardrail?: { identifier: string; version?: string };
  /** extra YAML under the provider's `bedrock:` key */
  providerExtra?: string;
}

export async function bedrockSetup(opts: SetupOptions = {}): Promise<BedrockSetup> {
  const emu = startBedrockEmulator();
  const creds = opts.credentials ?? TEST_CREDENTIALS;
  const model = opts.model === undefined ? MODEL : opts.model;
  const fields = [`region: ${emu.region}`];
  if (model !== null) fields.push(`model: "${model}"`);
  if (opts.guardrail) {
    fields.push(`guardrailIdentifier: ${opts.guardrail.identifier}`);
    if (opts.guardrail.version) fields.push(`guardrailVersion: "${opts.guardrail.version}"`);
  }
  const token = creds.sessionToken ? `\n            sessionToken: "${creds.sessionToken}"` : "";
  const gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - policies:
        backendAuth:
          aws:
            accessKeyId: "${creds.accessKeyId}"
            secretAccessKey: "${creds.secretAccessKey}"${token}
      backends:
      - ai:
          name: bedrock
          hostOverride: ${emu.host}
          provider:
            bedrock: {${fields.join(", ")}}
`);
  return {
    emu,
    gw,
    client: openaiClient(gw.baseURL()),
    stop: async () => {
      await gw.stop();
      emu.stop();
    },
  };
}

/** The Converse body the emulator received last. */
export function lastBody(emu: BedrockEmulator): any {
  return emu.lastJson();
}

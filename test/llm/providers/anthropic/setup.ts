/** A gateway with one `anthropic` backend pointed at the emulator (the user guide's shape). */
import { startAnthropicEmulator, type AnthropicEmulator } from "../../../emulators/anthropic.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../../../helpers/gateway.ts";
import { MODEL } from "./scripts.ts";

export interface AnthropicSetup {
  emu: AnthropicEmulator;
  gw: TestGateway;
  client: ReturnType<typeof openaiClient>;
  stop(): Promise<void>;
}

export async function anthropicSetup(opts: { key?: string | null; model?: string | null; policies?: string } = {}): Promise<AnthropicSetup> {
  const emu = startAnthropicEmulator();
  const key = opts.key === undefined ? "sk-ant-api03-test-key" : opts.key;
  const model = opts.model === undefined ? MODEL : opts.model;
  const auth = key === null ? "" : `\n        backendAuth:\n          key: ${key}`;
  const gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - policies:${auth}${opts.policies ?? ""}
      backends:
      - ai:
          name: anthropic
          hostOverride: ${emu.host}
          provider:
            anthropic: ${model === null ? "{}" : `{model: ${model}}`}
`);
  return {
    emu,
    gw,
    client: openaiClient(gw.baseURL()),
    stop: async () => {
      await gw.stop();
      await emu.stop();
    },
  };
}

/** The body the emulator received last. */
export function lastBody(emu: AnthropicEmulator): Record<string, unknown> {
  return emu.lastJson();
}

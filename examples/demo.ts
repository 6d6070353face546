/**
 * The offline first run (`bun run demo`): the gateway on examples/quickstart.yaml in front of the
 * bundled OpenAI emulator, and the user guide's Node snippets (basic, streaming, tools,
 * embeddings) run through the official `openai` SDK, printing what a user would see.
 * Nothing leaves this machine.
 */
import OpenAI from "openai";
import { openaiUpstream } from "../bench/upstream.ts";
import { formatIssues } from "../src/config/errors.ts";
import { loadConfigFile } from "../src/config/load.ts";
import { startGateway } from "../src/server/gateway.ts";
import { createLogger } from "../src/telemetry/log.ts";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

const emulator = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: openaiUpstream({ chunks: 40, delayMs: 15 }) });
// the guide's port when it is free; any free port when something else (a dev server) holds it
const port = portIsFree(3000) ? 3000 : anyFreePort();
const config = loadConfigFile(new URL("quickstart.yaml", import.meta.url).pathname, {
  env: { ...process.env, QUICKSTART_UPSTREAM: `127.0.0.1:${emulator.port}`, QUICKSTART_PORT: String(port), READINESS_ADDR: "off", ADMIN_ADDR: "off", STATS_ADDR: "off" },
});
if (!config.ok) {
  console.error(formatIssues(config.errors));
  process.exit(1);
}
// gateway log lines go to stderr, dimmed, so the SDK output stays readable
const logger = createLogger({ format: "text", level: "info", sink: { write: (bytes) => void process.stderr.write(dim(new TextDecoder().decode(bytes))) } });
let gateway;
try {
  gateway = startGateway(config.value, { logger });
} catch (err) {
  console.error(`cannot start the gateway on port ${port}: ${(err as Error).message}`);
  process.exit(1);
}
await Bun.sleep(50);

const baseURL = `http://localhost:${port}/v1`;
console.log(bold(`\nagentgateway demo: the OpenAI SDK guide's snippets, through the gateway on ${baseURL}\n`));
if (port !== 3000) console.log(dim(`(port 3000 is in use on this machine, so the demo listens on ${port})\n`));

const client = new OpenAI({ baseURL, apiKey: "anything" });

console.log(bold("1. Basic usage"));
const response = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Hello, how are you?" }],
});
console.log(response.choices[0]!.message.content);
await Bun.sleep(20);

console.log(bold("\n2. Streaming responses"));
const stream = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Write a short story" }],
  stream: true,
});
for await (const chunk of stream) {
  const content = chunk.choices[0]?.delta?.content || "";
  process.stdout.write(content);
}
console.log();
await Bun.sleep(20);

console.log(bold("\n3. Function calling"));
const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Get current weather for a location",
      parameters: {
        type: "object",
        properties: { location: { type: "string", description: "City name" } },
        required: ["location"],
      },
    },
  },
];
const withTools = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "What's the weather in Boston?" }],
  tools: tools,
});
const call = withTools.choices[0]!.message.tool_calls?.[0];
console.log(`finish_reason: ${withTools.choices[0]!.finish_reason}`);
if (call && call.type === "function") console.log(`tool call: ${call.function.name}(${call.function.arguments})`);
await Bun.sleep(20);

console.log(bold("\n4. Embeddings"));
const embedding = await client.embeddings.create({
  model: "text-embedding-3-small",
  input: "The quick brown fox jumps over the lazy dog",
});
const vector = embedding.data[0]!.embedding;
console.log(`[${vector.slice(0, 5).join(", ")}, ...] (${vector.length} dimensions)`);
await Bun.sleep(20);

console.log(bold(`\n5. The models the gateway serves (curl ${baseURL}/models)`));
const models = await client.models.list();
console.log(models.data.map((m) => m.id).join(", "));

console.log(
  bold("\nDone.") +
    " Next: put your key in the environment and run the gateway against a real provider:\n" +
    "  export OPENAI_API_KEY=sk-...\n" +
    "  bun src/main.ts examples/openai-sdk-guide.yaml     (or ./agentgateway examples/openai-sdk-guide.yaml)\n",
);
await gateway.stop({ minMs: 0, maxMs: 1000 });
emulator.stop(true);

function portIsFree(p: number): boolean {
  try {
    Bun.listen({ hostname: "::", port: p, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

function anyFreePort(): number {
  const s = Bun.listen({ hostname: "::", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

/**
 * Runs one scenario's upstream emulator in its own process (so the load generator, the proxy
 * under test and the upstream do not share an event loop).
 *
 *   bun bench/serve-upstream.ts --scenario openai --port 4010 --chunks 20 --delay-ms 0
 */
import { loadScenario } from "./scenarios/index.ts";

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : process.argv[i + 1]!;
};
const scenario = await loadScenario(arg("--scenario", "openai-stream"));
const server = Bun.serve({
  port: Number(arg("--port", "4010")),
  hostname: "127.0.0.1",
  idleTimeout: 0,
  // the JSON answer matches the reference harness's (624 bytes): 52 words
  fetch: scenario.upstream({ chunks: Number(arg("--chunks", "20")), delayMs: Number(arg("--delay-ms", "0")), jsonWords: Number(arg("--json-words", "52")) }),
});
console.log(`${scenario.name} upstream on http://127.0.0.1:${server.port}`);

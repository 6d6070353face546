/**
 * A real redis-server for tests: on a free port, in a temporary directory, no persistence. Needs
 * `redis-server` on PATH (CI installs it: .ci/packages.sh). `stop()` kills it (a crash, as far as
 * the gateway can tell), `pause()`/`resume()` freeze it (a slow Redis), `start()` brings it back
 * on the same port.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisClient } from "bun";
import { freePort } from "./process.ts";

export interface TestRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
  /** FLUSHALL, between tests */
  flush(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "agw-redis-"));
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdout: "ignore", stderr: "ignore" });
    const client = new RedisClient(url, { autoReconnect: false });
    for (let i = 0; ; i++) {
      try {
        await client.connect();
        await client.send("PING", []);
        client.close();
        return;
      } catch {
        if (i > 100) throw new Error(`redis-server did not start on port ${port}`);
        await Bun.sleep(30);
      }
    }
  };
  await start();
  return {
    url,
    port,
    start,
    async stop() {
      proc?.kill("SIGKILL");
      await proc?.exited;
    },
    pause: () => proc?.kill("SIGSTOP"),
    resume: () => proc?.kill("SIGCONT"),
    async flush() {
      const c = new RedisClient(url);
      await c.connect();
      await c.send("FLUSHALL", []);
      c.close();
    },
  };
}

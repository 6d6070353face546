/** Ports for the bench's processes: a free one to listen on, and waiting until one listens. */
import type { Subprocess } from "bun";

export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

/** Resolves once something accepts connections on `port` (10 s at most); fails early when `proc` exits. */
export async function waitForPort(port: number, proc?: Subprocess): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}`);
    try {
      (await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } })).end();
      return;
    } catch {
      await Bun.sleep(25);
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

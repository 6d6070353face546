/**
 * A file a policy reads (htpasswd, JWKS) that may change while the gateway runs: its parsed
 * content, re-read when the file's modification time changes. The check is asynchronous and at
 * most once a second, started by a request: a request never waits on the disk, and the first
 * request after a change (plus a second at most) sees the new content.
 */
import { statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";

export interface WatchedFile<T> {
  current(): T;
}

export function watchedFile<T>(path: string, initial: T, parse: (text: string) => T | undefined, intervalMs = 1000): WatchedFile<T> {
  let value = initial;
  let lastCheck = Date.now();
  // the version `initial` was read from (read at load, just before)
  let mtime: number | undefined;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    mtime = undefined;
  }
  let checking = false;
  const check = async () => {
    try {
      const s = await stat(path);
      if (s.mtimeMs === mtime) return;
      const next = parse(await readFile(path, "utf8"));
      mtime = s.mtimeMs;
      if (next !== undefined) value = next;
    } catch {
      // mid-rename or removed: keep what we have
    } finally {
      checking = false;
    }
  };
  return {
    current() {
      const now = Date.now();
      if (!checking && now - lastCheck >= intervalMs) {
        lastCheck = now;
        checking = true;
        void check();
      }
      return value;
    },
  };
}

/**
 * htpasswd files (Apache's format, one `user:hash` per line): bcrypt (`$2y$`, `$2a$`, `$2b$`,
 * checked by Bun.password), `{SHA}` (base64 SHA-1) and Apache's MD5-crypt `$apr1$` (and the
 * classic `$1$`), implemented below after the reference algorithm (Poul-Henning Kamp's
 * md5crypt, Apache's apr_md5.c). DES crypt and plain-text entries are refused at load.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export type HtpasswdEntry = { kind: "bcrypt" | "sha" | "md5crypt"; hash: string };

export interface Htpasswd {
  users: Map<string, HtpasswdEntry>;
  /** lines that could not be used, for the config error */
  problems: { line: number; message: string }[];
}

export function parseHtpasswd(text: string): Htpasswd {
  const users = new Map<string, HtpasswdEntry>();
  const problems: Htpasswd["problems"] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon <= 0) return void problems.push({ line: i + 1, message: "expected user:hash" });
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    const kind = hash.startsWith("$2") ? "bcrypt" : hash.startsWith("{SHA}") ? "sha" : hash.startsWith("$apr1$") || hash.startsWith("$1$") ? "md5crypt" : undefined;
    if (!kind) return void problems.push({ line: i + 1, message: `user '${user}': unsupported hash (use bcrypt, SHA or APR1: htpasswd -B, -s or -m)` });
    users.set(user, { kind, hash });
  });
  return { users, problems };
}

export async function verifyPassword(entry: HtpasswdEntry, password: string): Promise<boolean> {
  switch (entry.kind) {
    case "bcrypt":
      try {
        return await Bun.password.verify(password, entry.hash, "bcrypt");
      } catch {
        return false;
      }
    case "sha":
      return safeEqual(`{SHA}${createHash("sha1").update(password).digest("base64")}`, entry.hash);
    case "md5crypt": {
      const magic = entry.hash.startsWith("$apr1$") ? "$apr1$" : "$1$";
      const salt = entry.hash.slice(magic.length).split("$")[0]!;
      return safeEqual(md5crypt(password, salt, magic), entry.hash);
    }
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** MD5-crypt: `magic` is "$apr1$" (Apache) or "$1$"; the salt is at most 8 characters. */
export function md5crypt(password: string, saltIn: string, magic: string): string {
  const pw = Buffer.from(password);
  const salt = Buffer.from(saltIn.slice(0, 8));
  const md5 = (...parts: Buffer[]) => {
    const h = createHash("md5");
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const alt = md5(pw, salt, pw);
  const ctx = createHash("md5").update(pw).update(magic).update(salt);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const parts: Buffer[] = [i & 1 ? pw : final];
    if (i % 3) parts.push(salt);
    if (i % 7) parts.push(pw);
    parts.push(i & 1 ? final : pw);
    final = md5(...parts);
  }
  let out = "";
  const to64 = (v: number, n: number) => {
    for (; n > 0; n--, v >>= 6) out += ITOA64[v & 0x3f];
  };
  for (const [a, b, c] of [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]] as const) to64((final[a]! << 16) | (final[b]! << 8) | final[c]!, 4);
  to64(final[11]!, 2);
  return `${magic}${salt.toString()}$${out}`;
}

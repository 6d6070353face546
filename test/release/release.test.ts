/**
 * `bun run release` for this machine's platform: the binary reports its version, commit and build
 * date, SHA256SUMS verifies with `sha256sum -c`, and the install script installs a verified
 * binary and refuses a tampered one.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const HOST = process.platform === "linux" && process.arch === "x64" ? "linux-x64" : undefined;

describe.skipIf(!HOST)("bun run release (this platform)", () => {
  const out = mkdtempSync(join(tmpdir(), "agw-release-"));

  test("builds, checksums verify, --version carries version, commit and date", () => {
    const build = Bun.spawnSync([process.execPath, "scripts/release.ts", "--targets", HOST!, "--out", out], { cwd: ROOT, env: { ...process.env, VERSION: "v9.8.7", RELEASE_URL: `file://${out}` } });
    expect(build.stderr.toString()).toBe("");
    expect(build.exitCode).toBe(0);
    const check = Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: out });
    expect(check.stdout.toString()).toBe(`agentgateway-${HOST}: OK\ninstall.sh: OK\n`);
    const v = Bun.spawnSync([join(out, `agentgateway-${HOST}`), "--version"]);
    const info = JSON.parse(v.stdout.toString());
    expect(info).toMatchObject({ version: "9.8.7", build_profile: "release", build_target: `bun-${HOST}` });
    expect(info.git_revision).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    expect(Date.parse(info.build_date)).toBeGreaterThan(Date.parse("2026-01-01"));
    expect(Bun.spawnSync([join(out, `agentgateway-${HOST}`), "-V"]).stdout.toString()).toBe("agentgateway 9.8.7\n");
  }, 60_000);

  test("install.sh picks the platform, verifies the checksum, installs; a tampered binary is refused", () => {
    const bin = join(mkdtempSync(join(tmpdir(), "agw-install-")), "bin");
    const run = () => Bun.spawnSync(["sh", join(out, "install.sh")], { env: { PATH: process.env.PATH!, HOME: tmpdir(), AGW_INSTALL_DIR: bin } });
    const ok = run();
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.toString()).toContain(`agentgateway 9.8.7 for ${HOST}`);
    expect(Bun.spawnSync([join(bin, "agentgateway"), "-V"]).stdout.toString()).toBe("agentgateway 9.8.7\n");

    const target = join(out, `agentgateway-${HOST}`);
    const original = readFileSync(target);
    writeFileSync(target, Buffer.concat([original, Buffer.from("tampered")]));
    chmodSync(target, 0o755);
    const bad = run();
    writeFileSync(target, original);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr.toString()).toContain("checksum mismatch");
    expect(existsSync(join(bin, "agentgateway"))).toBe(true); // the verified one stays
  }, 60_000);
});

describe("where install.sh downloads from", () => {
  test("RELEASE_URL, else the GitHub release of the repository Actions or origin names, else nothing (no guessed address)", async () => {
    const { releaseUrlFor } = await import("../../scripts/release.ts");
    expect(releaseUrlFor("1.2.3", { RELEASE_URL: "https://dl.example.com/agw/1.2.3/" }, "git@github.com:a/b.git")).toBe("https://dl.example.com/agw/1.2.3");
    expect(releaseUrlFor("1.2.3", { GITHUB_REPOSITORY: "acme/gw" }, "")).toBe("https://github.com/acme/gw/releases/download/v1.2.3");
    expect(releaseUrlFor("1.2.3", {}, "git@github.com:acme/agent.gateway.git")).toBe("https://github.com/acme/agent.gateway/releases/download/v1.2.3");
    expect(releaseUrlFor("1.2.3", {}, "https://github.com/acme/gw")).toBe("https://github.com/acme/gw/releases/download/v1.2.3");
    expect(releaseUrlFor("1.2.3", {}, "/work/main")).toBeUndefined();
  });

  test("an install.sh built without a known address asks for AGW_RELEASE_URL instead of downloading from a placeholder", () => {
    const script = readFileSync(join(ROOT, "scripts/install.sh"), "utf8").replace("__VERSION__", "1.2.3");
    const dir = mkdtempSync(join(tmpdir(), "agw-install-"));
    writeFileSync(join(dir, "install.sh"), script);
    const r = Bun.spawnSync(["sh", join(dir, "install.sh")], { env: { PATH: process.env.PATH!, HOME: dir } });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.toString()).toContain("set AGW_RELEASE_URL");
  });
});

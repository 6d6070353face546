#!/usr/bin/env bun
/**
 * `bun run release`: the single binary for every platform, built with `bun build --compile`
 * (cross-compiling fetches each platform's Bun runtime from the npm registry), each carrying its
 * version, commit and build date (`--version`), plus SHA256SUMS and the install script, in
 * dist/release/.
 *
 *   bun scripts/release.ts [--targets linux-x64,darwin-arm64] [--no-bytecode] [--out dist/release]
 *
 * `--minify --bytecode` by default: measured on linux-x64, bytecode adds 5 MB to a 105 MB binary
 * (the Bun runtime is ~100 MB of it) and cuts start-up from 185 to 129 ms (bench/startup.ts).
 *
 * Environment: VERSION (default: package.json's), GIT_REVISION (default: `git rev-parse HEAD`), RELEASE_URL (where the files will be
 * downloaded from; written into install.sh), SOURCE_DATE_EPOCH (a fixed build date).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };

export const TARGETS = ["linux-x64", "linux-arm64", "linux-x64-musl", "darwin-arm64", "darwin-x64", "windows-x64"] as const;

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};

function git(...args: string[]): string {
  const r = Bun.spawnSync(["git", ...args], { cwd: ROOT });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "";
}

function revision(): string {
  if (process.env.GIT_REVISION) return process.env.GIT_REVISION;
  const sha = git("rev-parse", "HEAD") || "unknown";
  return git("status", "--porcelain", "--untracked-files=no") ? `${sha}-dirty` : sha;
}

/**
 * Where install.sh downloads from: RELEASE_URL, else the GitHub release of this version in the
 * repository GitHub Actions names (GITHUB_REPOSITORY) or `origin` points at. Undefined when
 * none is known: install.sh then asks its user for AGW_RELEASE_URL instead of guessing.
 */
export function releaseUrlFor(version: string, env: Record<string, string | undefined>, origin: string): string | undefined {
  if (env.RELEASE_URL) return env.RELEASE_URL.replace(/\/+$/, "");
  const repo = env.GITHUB_REPOSITORY || /github\.com[:/]([\w.-]+\/[\w.-]+?)(?:\.git)?$/.exec(origin)?.[1];
  return repo ? `https://github.com/${repo}/releases/download/v${version}` : undefined;
}

export const fileName = (target: string) => `agentgateway-${target}${target.startsWith("windows") ? ".exe" : ""}`;

function build(target: string, out: string, defines: Record<string, string>, bytecode: boolean): void {
  // start-up code runs once: tier-up thresholds x100 until src/main.ts has the gateway serving
  const cmd = [process.execPath, "build", "--compile", "--minify", "--compile-jit-policy=100", `--target=bun-${target}`, "src/main.ts", "--outfile", join(out, fileName(target))];
  if (bytecode) cmd.push("--bytecode");
  for (const [k, v] of Object.entries(defines)) cmd.push("--define", `${k}=${JSON.stringify(v)}`);
  const t0 = performance.now();
  const r = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`bun build for ${target} failed:\n${r.stderr.toString()}${r.stdout.toString()}`);
  const mb = statSync(join(out, fileName(target))).size / 1024 / 1024;
  console.log(`  ${fileName(target).padEnd(32)} ${mb.toFixed(1).padStart(6)} MB  ${((performance.now() - t0) / 1000).toFixed(1)}s`);
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function main(): void {
  const out = resolve(ROOT, arg("--out") ?? "dist/release");
  const targets = (arg("--targets")?.split(",") ?? [...TARGETS]).map((t) => t.trim());
  for (const t of targets) if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`unknown target ${t}: one of ${TARGETS.join(", ")}`);
  const version = (process.env.VERSION || pkg.version).replace(/^v/, "");
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const date = new Date(epoch ? Number(epoch) * 1000 : Date.now()).toISOString().replace(/\.\d+Z$/, "Z");
  const defines = { AGW_BUILD_VERSION: version, AGW_GIT_REVISION: revision(), AGW_BUILD_DATE: date };
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  console.log(`agentgateway ${version} (${defines.AGW_GIT_REVISION}, ${date}) -> ${out}`);
  for (const t of targets) build(t, out, { ...defines, AGW_BUILD_TARGET: `bun-${t}` }, !process.argv.includes("--no-bytecode"));

  const releaseUrl = releaseUrlFor(version, process.env, git("remote", "get-url", "origin"));
  const script = readFileSync(join(ROOT, "scripts/install.sh"), "utf8");
  // only the default is filled in; install.sh's own check for the placeholder stays
  writeFileSync(join(out, "install.sh"), (releaseUrl ? script.replace("__RELEASE_URL__", releaseUrl) : script).replace("__VERSION__", version), { mode: 0o755 });
  const files = [...targets.map(fileName), "install.sh"];
  writeFileSync(join(out, "SHA256SUMS"), files.map((f) => `${sha256(join(out, f))}  ${f}\n`).join(""));
  console.log(`  SHA256SUMS (${files.length} files), install.sh (${releaseUrl ? `downloads from ${releaseUrl}` : "no release address known (set RELEASE_URL or GITHUB_REPOSITORY): its users must set AGW_RELEASE_URL"})`);
}

if (import.meta.main) main();

/**
 * What this build is: `--version`, `agentgateway_build_info{tag}`, /config_dump's `version`.
 * Release builds inject the values with `bun build --define` (scripts/release.ts); running from
 * source reports the package version and `dev`.
 */
import pkg from "../package.json" with { type: "json" };

declare const AGW_BUILD_VERSION: string | undefined;
declare const AGW_GIT_REVISION: string | undefined;
declare const AGW_BUILD_DATE: string | undefined;
declare const AGW_BUILD_TARGET: string | undefined;

/** agentgateway's BuildInfo keys (snake_case, this order), with Bun's version for Rust's. */
export interface BuildInfo {
  version: string;
  git_revision: string;
  build_date: string;
  bun_version: string;
  build_profile: "release" | "dev";
  build_target: string;
}

export const buildInfo: BuildInfo = {
  version: typeof AGW_BUILD_VERSION === "string" ? AGW_BUILD_VERSION : pkg.version,
  git_revision: typeof AGW_GIT_REVISION === "string" ? AGW_GIT_REVISION : "unknown",
  build_date: typeof AGW_BUILD_DATE === "string" ? AGW_BUILD_DATE : "unknown",
  bun_version: Bun.version,
  build_profile: typeof AGW_BUILD_VERSION === "string" ? "release" : "dev",
  build_target: typeof AGW_BUILD_TARGET === "string" ? AGW_BUILD_TARGET : `bun-${process.platform}-${process.arch}`,
};

/** A problem found while loading a config, located in the file it came from. */
export interface ConfigIssue {
  file: string;
  /** 1-based; 0 when the problem has no place in the file (e.g. the file is missing) */
  line: number;
  column: number;
  /** YAML path such as `binds[0].listeners[0].routes[0].backends[0].ai.provider` ("" for the root) */
  path: string;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  const path = issue.path === "" ? "" : ` at ${issue.path}`;
  return `${where}${path}: ${issue.message}`;
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  const head = issues.length === 1 ? "1 error" : `${issues.length} errors`;
  return `invalid config (${head}):\n${issues.map((i) => `  ${formatIssue(i)}`).join("\n")}`;
}

export type YamlPath = readonly (string | number)[];

export function formatPath(path: YamlPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

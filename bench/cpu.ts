/** What the benches read of a process in `/proc`: its CPU time and its resident memory. */
import { readFileSync } from "node:fs";

/** CPU time a process has spent, user and system, in µs (`/proc/<pid>/stat`, clock ticks of 10 ms); 0 once it is gone. */

export function cpuUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

/**
 * Resident memory in MB: all of it, or only its anonymous (heap) or file-backed (executable) part.
 * A process that is gone throws: a 0 read as "under the target" would be a false pass.
 */
export function rssMb(pid: number, kind: "VmRSS" | "RssAnon" | "RssFile" = "VmRSS"): number {
  const m = new RegExp(`${kind}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

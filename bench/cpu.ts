/** CPU time a process has spent, user and system, in µs (`/proc/<pid>/stat`, clock ticks of 10 ms); 0 once it is gone. */
import { readFileSync } from "node:fs";

export function cpuUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

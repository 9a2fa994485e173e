/** Per-process CPU readings from Linux /proc, for the profiling aids (not used by the benchmarks' goals). */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessStat {
  /** User + system CPU time used so far (clock ticks of 10 ms). */
  readonly cpuSeconds: number;
  readonly parentPid: number;
}

/** undefined once the process has exited. */
export function processStat(pid: number): ProcessStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in parentheses may itself contain spaces or ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, parentPid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** `root` and every process below it, with their CPU time so far. */
export function processTree(root: number): Map<number, number> {
  const stats = new Map<number, ProcessStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(Number(entry));
    if (stat !== undefined) stats.set(Number(entry), stat);
  }
  const tree = new Map<number, number>();
  for (const [pid, stat] of stats) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = stats.get(p)?.parentPid) {
      if (p === root) {
        tree.set(pid, stat.cpuSeconds);
        break;
      }
    }
  }
  return tree;
}

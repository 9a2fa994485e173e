/**
 * Load loops and statistics shared by the benchmarks. Absolute numbers on a shared 2-core machine are noisy,
 * so every figure is the median of several interleaved rounds and goals are judged on ratios.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type Call = () => Promise<unknown>;

export interface LoadOptions {
  /** Untimed calls first, so JIT and connections are warm. */
  readonly warmupMs: number;
  /** One call in flight for this long: latency percentiles and serial rate. */
  readonly serialMs: number;
  /** `concurrency` calls in flight for this long: throughput. */
  readonly loadMs: number;
  readonly concurrency: number;
}

export interface LoadResult {
  readonly serialPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly concurrentPerSec: number;
  readonly concurrency: number;
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? (finite[mid] ?? Number.NaN) : ((finite[mid - 1] ?? 0) + (finite[mid] ?? 0)) / 2;
}

async function closedLoop(call: Call, concurrency: number, durationMs: number): Promise<number> {
  const deadline = performance.now() + durationMs;
  let completed = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await call();
      completed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (completed * 1000) / (performance.now() - started);
}

/** Warm-up, then a serial phase (1 in flight) and a closed loop with `concurrency` calls in flight. */
export async function runLoad(call: Call, options: LoadOptions): Promise<LoadResult> {
  await closedLoop(call, Math.min(8, options.concurrency), options.warmupMs);
  const latenciesUs: number[] = [];
  const serialStarted = performance.now();
  const serialDeadline = serialStarted + options.serialMs;
  for (;;) {
    const t0 = process.hrtime.bigint();
    await call();
    latenciesUs.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (performance.now() >= serialDeadline) break;
  }
  const serialPerSec = (latenciesUs.length * 1000) / (performance.now() - serialStarted);
  latenciesUs.sort((a, b) => a - b);
  const concurrentPerSec = await closedLoop(call, options.concurrency, options.loadMs);
  return {
    serialPerSec,
    p50Us: percentile(latenciesUs, 0.5),
    p99Us: percentile(latenciesUs, 0.99),
    concurrentPerSec,
    concurrency: options.concurrency,
  };
}

export type Comparison = "atLeast" | "atMost";

export interface GoalResult {
  readonly goal: string;
  /** measured / reference, or NaN when one side could not be measured. */
  readonly ratio: number;
  readonly target: number;
  readonly comparison: Comparison;
  readonly status: "PASS" | "MISS" | "NOT MEASURED";
  readonly note?: string;
}

/** Judges `measured / reference` against `target`; a side that was not measured is reported as such. */
export function judge(
  goal: string,
  measured: number,
  reference: number,
  comparison: Comparison,
  target: number,
  note?: string,
): GoalResult {
  const ratio = measured / reference;
  const status = !Number.isFinite(ratio)
    ? "NOT MEASURED"
    : (comparison === "atLeast" ? ratio >= target : ratio <= target)
      ? "PASS"
      : "MISS";
  return note === undefined
    ? { goal, ratio, target, comparison, status }
    : { goal, ratio, target, comparison, status, note };
}

export function formatGoals(goals: readonly GoalResult[]): string {
  const rows = goals.map((g) => [
    g.goal,
    Number.isFinite(g.ratio) ? `${g.ratio.toFixed(2)}×` : "—",
    `${g.comparison === "atLeast" ? "≥" : "≤"} ${g.target}×`,
    g.status,
    g.note ?? "",
  ]);
  return formatTable(["goal", "ratio", "target", "result", "note"], rows);
}

export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export const benchRoot = dirname(dirname(fileURLToPath(import.meta.url)));
export const repoRoot = dirname(benchRoot);

export function writeResult(name: string, result: unknown): string {
  const path = join(benchRoot, "results", `${name}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

/** Machine facts recorded with every result, since ratios only hold for like-for-like runs. */
export async function environment(): Promise<Record<string, unknown>> {
  const os = await import("node:os");
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    loadAverageAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

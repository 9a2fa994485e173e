/**
 * Child processes of a benchmark. Clients and servers run in separate node processes (as they would in
 * production); they talk to the parent with one JSON object per stdout line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { repoRoot } from "./measure.js";

export type WorkerMessage = { readonly type: string } & Readonly<Record<string, unknown>>;

export class BenchWorkerError extends Error {
  override readonly name = "BenchWorkerError";
}

export interface WorkerOptions {
  readonly script: string;
  readonly args?: readonly string[];
  readonly nodeFlags?: readonly string[];
  /** Raise the open-file limit in the child (many sockets). */
  readonly fileLimit?: number;
  readonly env?: Readonly<Record<string, string>>;
}

export class Worker {
  private readonly child: ChildProcess;
  private readonly queue: WorkerMessage[] = [];
  private readonly waiters: Array<(message: WorkerMessage | undefined) => void> = [];
  private exited = false;
  private stderrTail = "";
  readonly label: string;

  private constructor(child: ChildProcess, label: string) {
    this.child = child;
    this.label = label;
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const trimmed = line.trim();
      if (!trimmed.startsWith("{")) {
        if (trimmed.length > 0) process.stderr.write(`[${label}] ${trimmed}\n`);
        return;
      }
      let message: WorkerMessage;
      try {
        message = JSON.parse(trimmed) as WorkerMessage;
      } catch {
        process.stderr.write(`[${label}] ${trimmed}\n`);
        return;
      }
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(message);
      else this.queue.push(message);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
    child.once("exit", () => {
      this.exited = true;
      for (const waiter of this.waiters.splice(0)) waiter(undefined);
    });
  }

  static start(options: WorkerOptions): Worker {
    const nodeArgs = [...(options.nodeFlags ?? []), "--import", "tsx", options.script, ...(options.args ?? [])];
    const env = { ...process.env, ...options.env };
    const child =
      options.fileLimit === undefined
        ? spawn(process.execPath, nodeArgs, { cwd: repoRoot, env, stdio: ["pipe", "pipe", "pipe"] })
        : spawn(
            "bash",
            ["-c", `ulimit -n ${options.fileLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`, process.execPath, ...nodeArgs],
            { cwd: repoRoot, env, stdio: ["pipe", "pipe", "pipe"] },
          );
    const label = options.script.replace(/^.*\/bench\//, "").replace(/^bench\//, "");
    return new Worker(child, `${label} ${(options.args ?? []).join(" ")}`.trim());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Next message; if its type is not `type`, or the child exits first, throws with the child's stderr. */
  async next(type: string, timeoutMs = 60_000): Promise<WorkerMessage> {
    const queued = this.queue.shift();
    const message =
      queued ??
      (this.exited
        ? undefined
        : await new Promise<WorkerMessage | undefined>((resolve) => {
            const timer = setTimeout(() => {
              const index = this.waiters.indexOf(done);
              if (index >= 0) this.waiters.splice(index, 1);
              resolve(undefined);
            }, timeoutMs);
            const done = (m: WorkerMessage | undefined): void => {
              clearTimeout(timer);
              resolve(m);
            };
            this.waiters.push(done);
          }));
    if (message === undefined) {
      throw new BenchWorkerError(`${this.label}: no "${type}" message (exited: ${this.exited})\n${this.stderrTail}`);
    }
    if (message.type === "error") {
      throw new BenchWorkerError(`${this.label}: ${String(message["message"])}\n${this.stderrTail}`);
    }
    if (message.type !== type) {
      throw new BenchWorkerError(`${this.label}: expected "${type}", got ${JSON.stringify(message)}`);
    }
    return message;
  }

  send(message: WorkerMessage): void {
    this.child.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  /** Closes stdin (the child's cue to shut down), then SIGTERM, then SIGKILL. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin!.end();
    const term = setTimeout(() => this.child.kill("SIGTERM"), graceMs);
    const kill = setTimeout(() => this.child.kill("SIGKILL"), graceMs * 2);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }
}

/** Child side: write one message for the parent. */
export function emit(message: WorkerMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Child side: resolves when the parent closes stdin (or the process gets SIGTERM). */
export function untilParentCloses(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.resume();
    process.stdin.once("end", () => resolve());
    process.stdin.once("close", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

/** Child side: next JSON line from the parent. */
export function parentMessages(): AsyncIterable<WorkerMessage> {
  const lines = createInterface({ input: process.stdin });
  return {
    async *[Symbol.asyncIterator]() {
      for await (const line of lines) {
        const trimmed = line.trim();
        if (trimmed.length > 0) yield JSON.parse(trimmed) as WorkerMessage;
      }
    },
  };
}

/** Child side: reports an uncaught failure to the parent in-band, then exits non-zero. */
export function reportFailures(): void {
  const fail = (error: unknown): void => {
    emit({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
}

/**
 * A real Prometheus (Debian's `prometheus`) for one test file: its own config and TSDB in a temp dir, on a
 * free loopback port, scraping the given targets every second; stopped by PID.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "../../support/nats-server.js";

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export class Prometheus {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(targets: readonly string[]): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), "mqgen-prom-"));
    const port = await freePort();
    const config = [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: mqgen",
      "    scrape_interval: 1s",
      "    scrape_timeout: 900ms",
      "    static_configs:",
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
      "",
    ].join("\n");
    writeFileSync(join(dir, "prometheus.yml"), config);
    const child = spawn(
      "prometheus",
      [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
      { stdio: "ignore" },
    );
    await waitForPort(port, 30_000, "prometheus");
    return new Prometheus(child, port, dir);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An instant PromQL query through the HTTP API. */
  async query(promql: string): Promise<PromSample[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
    if (body.status !== "success" || body.data === undefined) throw new Error(`PromQL ${promql}: ${body.error ?? res.status}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Polls `promql` until `accept` holds for its result (Prometheus scrapes each second), or throws with the last result. */
  async waitFor(promql: string, accept: (samples: PromSample[]) => boolean, timeoutMs = 30_000): Promise<PromSample[]> {
    const deadline = Date.now() + timeoutMs;
    let last: PromSample[] = [];
    for (;;) {
      try {
        last = await this.query(promql);
        if (accept(last)) return last;
      } catch {
        // Not ready yet (Prometheus still starting): try again until the deadline.
      }
      if (Date.now() > deadline) throw new Error(`PromQL ${promql} never matched; last result ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once("exit", () => resolve());
        this.child.kill("SIGTERM");
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

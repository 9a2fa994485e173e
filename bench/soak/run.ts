/**
 * `npm run bench -- soak`: a long run at 64 calls in flight, RSS sampled, growth reported. Not a test: it
 * says whether memory creeps, not whether one run was fast.
 *
 * mqgen: one `echo` worker process (test/discovery/worker.ts) and one caller process (caller.ts), over a
 * private nats-server with JetStream and the NATS KV registry, for SOAK_SECONDS (default 300). The peer,
 * in the same run: bare nats.js, a responder process and a requester process (peer.ts), for
 * SOAK_PEER_SECONDS (default 60). Each process's RSS is read from /proc every SOAK_SAMPLE_MS (5 s);
 * growth is measured from the end of the warm-up (the first 10 % of the run) to the last sample, and also
 * given per minute so runs of different length compare.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NatsServer } from "../../test/support/nats-server.js";
import { environment, formatNumber, formatTable, sleep, writeResult } from "../support/measure.js";

const soakSeconds = Number(process.env.SOAK_SECONDS ?? "300");
const peerSeconds = Number(process.env.SOAK_PEER_SECONDS ?? "60");
const sampleMs = Number(process.env.SOAK_SAMPLE_MS ?? "5000");
const lanes = 64;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const workerPath = fileURLToPath(new URL("../../test/discovery/worker.ts", import.meta.url));

function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

class Child {
  out = "";
  readonly exited: Promise<void>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => (this.out += chunk));
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }
  static spawn(script: string, env: Record<string, string>): Child {
    return new Child(spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] }));
  }
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.out);
      if (match !== null) return match;
      if (this.child.exitCode !== null) throw new Error(`child exited (${this.child.exitCode}) before ${pattern}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    await this.exited;
  }
}

interface Series {
  readonly role: string;
  readonly samples: Array<{ atS: number; rssMb: number }>;
}

function growth(series: Series, seconds: number) {
  const warm = series.samples.filter((s) => s.atS >= seconds * 0.1);
  const first = warm[0] ?? series.samples[0];
  const last = series.samples[series.samples.length - 1];
  if (first === undefined || last === undefined) return { role: series.role, startMb: 0, endMb: 0, maxMb: 0, growthMb: 0, growthMbPerMin: 0, samples: 0 };
  const minutes = Math.max((last.atS - first.atS) / 60, 1 / 60);
  const growthMb = last.rssMb - first.rssMb;
  return {
    role: series.role,
    startMb: Number(first.rssMb.toFixed(1)),
    endMb: Number(last.rssMb.toFixed(1)),
    maxMb: Number(Math.max(...series.samples.map((s) => s.rssMb)).toFixed(1)),
    growthMb: Number(growthMb.toFixed(1)),
    growthMbPerMin: Number((growthMb / minutes).toFixed(2)),
    samples: series.samples.length,
  };
}

async function soak(name: string, seconds: number, start: () => Promise<{ server: Child; client: Child }>) {
  const { server, client } = await start();
  try {
    await client.waitFor(/READY/, 30_000);
    const startedAt = Date.now();
    const series: Series[] = [
      { role: `${name} server`, samples: [] },
      { role: `${name} caller`, samples: [] },
    ];
    while (!/DONE/.test(client.out)) {
      const atS = (Date.now() - startedAt) / 1000;
      const pids = [server.child.pid, client.child.pid];
      pids.forEach((pid, i) => {
        const rss = rssMb(pid);
        if (rss !== undefined) series[i]!.samples.push({ atS: Number(atS.toFixed(1)), rssMb: Number(rss.toFixed(1)) });
      });
      if (client.child.exitCode !== null) throw new Error(`${name} caller exited early`);
      await sleep(sampleMs);
    }
    const done = JSON.parse((await client.waitFor(/DONE (\{.*\})/, 10_000))[1]!) as { calls: number; errors: number; firstErrors: string[] };
    return { name, seconds, calls: done.calls, callsPerSec: Math.round(done.calls / seconds), errors: done.errors, firstErrors: done.firstErrors, rss: series.map((s) => growth(s, seconds)), series };
  } finally {
    await client.kill();
    await server.kill();
  }
}

const env = await environment();
const startedAt = Date.now();
const nats = await NatsServer.start({ jetstream: true });
try {
  const mqgen = await soak("mqgen", soakSeconds, async () => {
    const server = Child.spawn(workerPath, { NATS_URL: nats.url, KV_BUCKET: "soak", TTL_MS: "20000", INTERVAL_MS: "10000" });
    await server.waitFor(/READY \S+/, 30_000);
    const client = Child.spawn(here("./caller.ts"), { NATS_URL: nats.url, KV_BUCKET: "soak", SECONDS: String(soakSeconds), LANES: String(lanes) });
    return { server, client };
  });
  const peer = await soak("nats.js", peerSeconds, async () => {
    const server = Child.spawn(here("./peer.ts"), { NATS_URL: nats.url, ROLE: "responder" });
    await server.waitFor(/READY peer-responder/, 30_000);
    const client = Child.spawn(here("./peer.ts"), { NATS_URL: nats.url, ROLE: "requester", SECONDS: String(peerSeconds), LANES: String(lanes) });
    return { server, client };
  });
  const rows = [mqgen, peer].flatMap((run) =>
    run.rss.map((r) => [r.role, `${run.seconds} s`, formatNumber(run.callsPerSec), String(run.errors), r.startMb.toFixed(1), r.endMb.toFixed(1), r.maxMb.toFixed(1), r.growthMb.toFixed(1), r.growthMbPerMin.toFixed(2)]),
  );
  console.log(formatTable(["process", "run", "calls/s", "errors", "RSS after warm-up MB", "RSS end MB", "RSS max MB", "growth MB", "MB/min"], rows));
  const mqCaller = mqgen.rss[1]!;
  const peerCaller = peer.rss[1]!;
  const path = writeResult("soak", {
    benchmark: "soak",
    environment: env,
    method: `${lanes} calls in flight over one local nats-server; RSS of each process from /proc every ${sampleMs} ms; growth from the end of the warm-up (first 10 % of the run) to the last sample. mqgen: test/discovery/worker.ts + bench/soak/caller.ts with the NATS KV registry; peer: bare nats.js request/respond (bench/soak/peer.ts) in the same run.`,
    results: { mqgen: { ...mqgen, series: undefined }, peer: { ...peer, series: undefined } },
    ratios: {
      throughputMqgenOverPeer: Number((mqgen.callsPerSec / Math.max(1, peer.callsPerSec)).toFixed(2)),
      callerRssEndMqgenOverPeer: Number((mqCaller.endMb / Math.max(1, peerCaller.endMb)).toFixed(2)),
    },
    series: { mqgen: mqgen.series, peer: peer.series },
    durationS: Math.round((Date.now() - startedAt) / 1000),
  });
  console.log(`written ${path}`);
  if (mqgen.errors > 0) {
    console.error(`mqgen soak: ${mqgen.errors} failed calls (${mqgen.firstErrors.join("; ")})`);
    process.exitCode = 1;
  }
} finally {
  await nats.dispose();
}

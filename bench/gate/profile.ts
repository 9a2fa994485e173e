/**
 * Profiling aid, not part of `npm run bench`: `node --import tsx bench/gate/profile.ts [kind] [seconds]` runs
 * one bench:gate server kind (default `gate-nats`) with bench:gate's own round-trip client (roundtrip.ts) at
 * 1 in flight for `seconds` (default 4) and prints the p50 and, per process involved (client, server, its
 * backend, the private nats-server), the CPU time it spent per request: at 1 in flight this shows where a
 * round trip's cost goes when the JavaScript in it is cheap (wake-ups, socket writes, schedulers).
 */
import { readFileSync } from "node:fs";
import { NatsServer } from "../../test/support/nats-server.js";
import type { LoadOptions, LoadResult } from "../support/measure.js";
import { processTree } from "../support/proc.js";
import { Worker } from "../support/worker.js";
import { serverKindNamed } from "./servers.js";
import { profileFlags } from "./start.js";

const [kindName = "gate-nats", secondsText = "4"] = process.argv.slice(2);
const kind = serverKindNamed(kindName);
const serialMs = Number(secondsText) * 1000;

function label(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    return argv.find((a) => a.startsWith("bench/")) ?? argv[0]?.split("/").pop() ?? String(pid);
  } catch {
    return String(pid);
  }
}

const nats = kind.needsNats ? await NatsServer.start({ jetstream: true }) : undefined;
const server = Worker.start({ script: "bench/gate/server.ts", args: [kind.name, nats?.url ?? ""], nodeFlags: ["--expose-gc", ...profileFlags] });
let client: Worker | undefined;
try {
  const ready = await server.next("ready", 30_000);
  client = Worker.start({ script: "bench/gate/roundtrip.ts", args: [kind.roundTrip, String(ready["port"])] });
  await client.next("ready", 60_000);
  const run = async (options: LoadOptions): Promise<LoadResult> => {
    client!.send({ type: "run", options });
    return (await client!.next("result", options.warmupMs + options.serialMs + 60_000)) as unknown as LoadResult;
  };
  await run({ warmupMs: 1000, serialMs: 0, loadMs: 0, concurrency: 1 });
  const before = processTree(process.pid);
  const result = await run({ warmupMs: 0, serialMs, loadMs: 0, concurrency: 1 });
  const after = processTree(process.pid);
  const requests = (result.serialPerSec * serialMs) / 1000;
  console.log(`${kind.label}: p50 ${result.p50Us.toFixed(1)} µs over ≈ ${Math.round(requests)} requests, 1 in flight`);
  for (const [pid, cpuSeconds] of after) {
    if (pid === process.pid) continue;
    const spent = cpuSeconds - (before.get(pid) ?? cpuSeconds);
    if (spent > 0) console.log(`  ${label(pid)}: ${((spent * 1e6) / requests).toFixed(1)} µs CPU per request`);
  }
} finally {
  await client?.stop();
  await server.stop();
  await nats?.dispose();
}

/**
 * Profiling aid, not part of `npm run bench`: `node --import tsx bench/gate/profile.ts [kind] [requests]` runs
 * one bench:gate server kind (default `gate-nats`) and sends requests one at a time from this process over
 * MQTT.js, as bench:gate's 1-in-flight phase does. Prints the p50 and, per process involved (this client, the
 * server, its backend, the private nats-server), the CPU time it spent per request: at 1 in flight this shows
 * where a round trip's cost goes when the JavaScript in it is cheap (wake-ups, socket writes, schedulers).
 */
import { readdirSync, readFileSync } from "node:fs";
import type { Socket } from "node:net";
import mqtt from "mqtt";
import { NatsServer } from "../../test/support/nats-server.js";
import { Worker } from "../support/worker.js";
import { serverKindNamed } from "./servers.js";

const [kindName = "gate-nats", requestsText = "10000"] = process.argv.slice(2);
const kind = serverKindNamed(kindName);
const requests = Number(requestsText);
const warmup = Math.min(2000, Math.floor(requests / 5));

interface ProcessCpu {
  readonly label: string;
  readonly ticks: number;
}

/** utime + stime (clock ticks of 10 ms) and parent pid of one process, from Linux /proc. */
function stat(pid: number): { ticks: number; parent: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ticks: Number(fields[11]) + Number(fields[12]), parent: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function label(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  if (pid === process.pid) return "client (MQTT.js, this process)";
  const script = argv.find((a) => a.startsWith("bench/"));
  return script ?? argv[0]?.split("/").pop() ?? String(pid);
}

/** This process and every process below it: the server worker, its backend, the nats-server started here. */
function snapshot(): Map<number, ProcessCpu> {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s === undefined) continue;
    parents.set(Number(entry), s.parent);
    ticks.set(Number(entry), s.ticks);
  }
  const mine = new Map<number, ProcessCpu>();
  for (const [pid, count] of ticks) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parents.get(p)) {
      if (p === process.pid) {
        mine.set(pid, { label: label(pid), ticks: count });
        break;
      }
    }
  }
  return mine;
}

const nats = kind.needsNats ? await NatsServer.start({ jetstream: true }) : undefined;
const server = Worker.start({ script: "bench/gate/server.ts", args: [kind.name, nats?.url ?? ""], nodeFlags: ["--expose-gc"] });
try {
  const ready = await server.next("ready", 30_000);
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${String(ready["port"])}`, {
    clientId: "profile",
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  (client.stream as Socket).setNoDelay(true);
  let answered: (() => void) | undefined;
  client.on("message", () => answered?.());
  const echo = kind.roundTrip === "echo-subscription";
  if (echo) await client.subscribeAsync("bench/profile/+", { qos: 1 });
  else if (kind.roundTrip !== "gate-request") throw new Error(`profile.ts measures the gate and the Aedes echo, not ${kind.roundTrip}`);
  const body = Buffer.from(JSON.stringify({ name: "x" }));
  const latencies: number[] = [];
  let before = snapshot();
  for (let i = 0; i < requests; i++) {
    if (i === warmup) before = snapshot();
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      answered = resolve;
      client.publish(echo ? `bench/profile/${i}` : `helloworld/HD_say/${i}`, body, { qos: 1 });
    });
    if (i >= warmup) latencies.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  const after = snapshot();
  latencies.sort((a, b) => a - b);
  const measured = requests - warmup;
  console.log(`${kind.label}: p50 ${latencies[latencies.length >> 1]!.toFixed(1)} µs over ${measured} requests, 1 in flight`);
  for (const [pid, { label: name, ticks }] of after) {
    const spent = ticks - (before.get(pid)?.ticks ?? ticks);
    if (spent > 0) console.log(`  ${name}: ${((spent * 10_000) / measured).toFixed(1)} µs CPU per request`);
  }
  await client.endAsync();
} finally {
  await server.stop();
  await nats?.dispose();
}

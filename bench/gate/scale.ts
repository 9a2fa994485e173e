/**
 * bench:gate at game scale, run by run.ts: fan-out to a room of 10,000 (fanout.ts), busy connections
 * (busy.ts) and a connection storm (storm.ts), each for the mqgen gate (backend in process and over NATS)
 * and its peers Mosquitto and Aedes, one server kind after another (10,000 sockets per server leave no room
 * to run them side by side), rounds inside each.
 */
import { median, sleep } from "../support/measure.js";
import { Worker } from "../support/worker.js";
import { brokerTarget, gateTarget, runFanout, type FanoutOptions, type FanoutRound, type FanoutTarget } from "./fanout.js";
import { mosquittoAvailable, startMosquitto } from "./mosquitto.js";
import { serverKindNamed } from "./servers.js";
import { fileLimit, startServer, stopServer, type Started } from "./start.js";
import { percentileOf } from "./raw-mqtt.js";
import { processTree } from "../support/proc.js";

/** CPU seconds used so far by the trees under these pids (a server worker with its backend or responder). */
function cpuSeconds(pids: readonly (number | undefined)[]): number {
  let total = 0;
  for (const pid of pids) if (pid !== undefined) for (const seconds of processTree(pid).values()) total += seconds;
  return total;
}

export interface ScaleKind {
  readonly name: string;
  readonly label: string;
}

export const fanoutKinds: readonly ScaleKind[] = [
  { name: "gate-inproc", label: "mqgen gate, backend in process (RoomPush)" },
  { name: "gate-nats", label: "mqgen gate, backend over NATS (RoomPush)" },
  { name: "mosquitto", label: "Mosquitto (one publish to a topic all subscribe to)" },
  { name: "aedes", label: "Aedes (one publish to a topic all subscribe to)" },
  { name: "node-floor", label: "bare Node.js fan-out: one socket.write per client (the floor)" },
];

export interface FanoutSummary {
  readonly name: string;
  readonly label: string;
  readonly oneToLastMs: number;
  readonly oneToFirstMs: number;
  readonly deliveriesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly peakRssMB: number;
  readonly rounds: readonly FanoutRound[];
  readonly error?: string;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n").filter((l) => l.trim().length > 0);
  return (lines.find((l) => /Error[:\s]/.test(l)) ?? lines[0] ?? "failed").trim().slice(0, 300);
}

/** Starts one kind with its fan-out pusher; `stop` also stops the server. */
async function startFanoutTarget(name: string): Promise<FanoutTarget> {
  if (name === "mosquitto") {
    if (!mosquittoAvailable()) throw new Error("mosquitto is not installed (Debian package mosquitto)");
    const broker = await startMosquitto(fileLimit);
    try {
      const target = await brokerTarget(broker.port, broker.pid);
      return {
        ...target,
        stop: async () => {
          await target.stop();
          await broker.stop();
        },
      };
    } catch (error) {
      await broker.stop();
      throw error;
    }
  }
  const started = await startServer(serverKindNamed(name));
  try {
    const target =
      name === "aedes" || name === "node-floor" ? await brokerTarget(started.port, started.server.pid ?? 0) : gateTarget(started.server, started.port);
    return {
      ...target,
      stop: async () => {
        await target.stop();
        await stopServer(started);
      },
    };
  } catch (error) {
    await stopServer(started);
    throw error;
  }
}

export async function runFanoutSection(
  rounds: number,
  options: FanoutOptions,
  log: (line: string) => void,
  only: readonly string[] = [],
): Promise<FanoutSummary[]> {
  const out: FanoutSummary[] = [];
  for (const kind of fanoutKinds) {
    if (only.length > 0 && !only.includes(kind.name)) continue;
    log(`fan-out ${kind.name}:`);
    let target: FanoutTarget | undefined;
    try {
      target = await startFanoutTarget(kind.name);
      // The floor is there for the one-push time; its sustained rate (a write per message per client, as the
      // brokers do) would only lengthen the run.
      const results = await runFanout(target, rounds, kind.name === "node-floor" ? { ...options, sustainMs: 0 } : options, log);
      out.push({
        name: kind.name,
        label: kind.label,
        oneToLastMs: median(results.map((r) => median(r.oneToLastMs))),
        oneToFirstMs: median(results.map((r) => median(r.oneToFirstMs))),
        deliveriesPerSec: median(results.map((r) => r.sustained.deliveriesPerSec)),
        p50Ms: median(results.map((r) => r.sustained.p50Ms)),
        p99Ms: median(results.map((r) => r.sustained.p99Ms)),
        peakRssMB: median(results.map((r) => r.sustained.peakRssBytes / 1e6)),
        rounds: results,
      });
    } catch (error) {
      log(`  ${kind.name}: fan-out not measured — ${firstLine(error)}`);
      out.push({
        name: kind.name,
        label: kind.label,
        oneToLastMs: Number.NaN,
        oneToFirstMs: Number.NaN,
        deliveriesPerSec: Number.NaN,
        p50Ms: Number.NaN,
        p99Ms: Number.NaN,
        peakRssMB: Number.NaN,
        rounds: [],
        error: firstLine(error),
      });
    } finally {
      await target?.stop();
    }
  }
  return out;
}

// Busy connections ----------------------------------------------------------------------------------

export const busyKinds: readonly ScaleKind[] = [
  { name: "gate-inproc", label: "mqgen gate → HD_say, backend in process" },
  { name: "gate-nats", label: "mqgen gate → HD_say, backend over NATS" },
  { name: "aedes-responder", label: "Aedes relaying to a responder client (another process)" },
];

export interface BusySummary {
  readonly name: string;
  readonly label: string;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU per request of the server side (server process, its backend or responder, its nats-server) and of the clients. */
  readonly serverCpuUsPerRequest: number;
  readonly clientCpuUsPerRequest: number;
  readonly rounds: readonly {
    requestsPerSec: number;
    p50Ms: number;
    p99Ms: number;
    errors: number;
    lost: number;
    closed: number;
    serverCpuUsPerRequest: number;
    clientCpuUsPerRequest: number;
  }[];
  readonly error?: string;
}

export interface BusyOptions {
  readonly connections: number;
  readonly loadProcesses: number;
  readonly runMs: number;
  readonly fileLimit: number;
}

export async function runBusySection(
  rounds: number,
  options: BusyOptions,
  log: (line: string) => void,
  only: readonly string[] = [],
): Promise<BusySummary[]> {
  interface Running {
    readonly kind: ScaleKind;
    readonly started: Started;
    readonly loads: Worker[];
  }
  const kinds = busyKinds.filter((kind) => only.length === 0 || only.includes(kind.name));
  const running: Running[] = [];
  const perRound = new Map<string, BusySummary["rounds"][number][]>(kinds.map((k) => [k.name, []]));
  const errors = new Map<string, string>();
  try {
    // All kinds connected at once (2,000 sockets each), rounds interleaved across them: on a shared machine
    // a kind measured alone would get whatever the neighbours left that minute.
    for (const kind of kinds) {
      let started: Started | undefined;
      const loads: Worker[] = [];
      try {
        started = await startServer(serverKindNamed(kind.name));
        const mode = kind.name === "aedes-responder" ? "broker" : "gate";
        const per = Math.ceil(options.connections / options.loadProcesses);
        for (let i = 0; i < options.loadProcesses; i++) {
          loads.push(
            Worker.start({
              script: "bench/gate/busy-load.ts",
              args: [String(started.port), String(Math.min(per, options.connections - i * per)), mode, `busy${i}`],
              fileLimit: options.fileLimit,
            }),
          );
        }
        const opened = await Promise.all(loads.map((load) => load.next("opened", 120_000)));
        const total = opened.reduce((sum, m) => sum + Number(m["count"]), 0);
        if (total !== options.connections) throw new Error(`only ${total} of ${options.connections} clients connected`);
        running.push({ kind, started, loads });
      } catch (error) {
        errors.set(kind.name, firstLine(error));
        log(`busy connections ${kind.name}: not measured — ${firstLine(error)}`);
        await Promise.all(loads.map((load) => load.stop()));
        if (started !== undefined) await stopServer(started);
      }
    }
    for (let round = 0; round < rounds; round++) {
      const order = running.map((_, i) => running[(i + round) % running.length]!);
      for (const { kind, started, loads } of order) {
        if (errors.has(kind.name)) continue;
        try {
          const serverPids = [started.server.pid, started.nats?.pid];
          const clientPids = loads.map((load) => load.pid);
          const serverCpuBefore = cpuSeconds(serverPids);
          const clientCpuBefore = cpuSeconds(clientPids);
          for (const load of loads) load.send({ type: "run", ms: options.runMs });
          const results = await Promise.all(loads.map((load) => load.next("busy", options.runMs + 60_000)));
          const serverCpu = cpuSeconds(serverPids) - serverCpuBefore;
          const clientCpu = cpuSeconds(clientPids) - clientCpuBefore;
          const completed = results.reduce((sum, m) => sum + Number(m["completed"]), 0);
          const seconds = Math.max(...results.map((m) => Number(m["seconds"])));
          const histograms = results.map((m) => m["histogram"] as [number, number][]);
          const r = {
            requestsPerSec: completed / seconds,
            p50Ms: percentileOf(histograms, 0.5),
            p99Ms: percentileOf(histograms, 0.99),
            errors: results.reduce((sum, m) => sum + Number(m["errors"]), 0),
            lost: results.reduce((sum, m) => sum + Number(m["lost"]), 0),
            closed: results.reduce((sum, m) => sum + Number(m["closed"]), 0),
            serverCpuUsPerRequest: (serverCpu * 1e6) / completed,
            clientCpuUsPerRequest: (clientCpu * 1e6) / completed,
          };
          perRound.get(kind.name)!.push(r);
          log(
            `busy round ${round + 1}/${rounds} ${kind.name}: ${Math.round(r.requestsPerSec).toLocaleString("en-US")} requests/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, CPU per request: servers ${r.serverCpuUsPerRequest.toFixed(0)} µs, clients ${r.clientCpuUsPerRequest.toFixed(0)} µs` +
              (r.errors + r.lost + r.closed > 0 ? `, ${r.errors} errors, ${r.lost} lost, ${r.closed} closed` : ""),
          );
          if (r.errors + r.lost + r.closed > 0) throw new Error(`${r.errors} error replies, ${r.lost} requests lost, ${r.closed} clients closed`);
        } catch (error) {
          errors.set(kind.name, firstLine(error));
          log(`busy connections ${kind.name}: failed — ${firstLine(error)}`);
        }
      }
    }
  } finally {
    for (const { started, loads } of running) {
      await Promise.all(loads.map((load) => load.stop()));
      await stopServer(started);
    }
  }
  return kinds.map((kind) => {
    const list = perRound.get(kind.name) ?? [];
    const error = errors.get(kind.name);
    const ok = error === undefined ? list : [];
    return {
      name: kind.name,
      label: kind.label,
      requestsPerSec: median(ok.map((r) => r.requestsPerSec)),
      p50Ms: median(ok.map((r) => r.p50Ms)),
      p99Ms: median(ok.map((r) => r.p99Ms)),
      serverCpuUsPerRequest: median(ok.map((r) => r.serverCpuUsPerRequest)),
      clientCpuUsPerRequest: median(ok.map((r) => r.clientCpuUsPerRequest)),
      rounds: list,
      ...(error === undefined ? {} : { error }),
    };
  });
}

// Connection storm ----------------------------------------------------------------------------------

export const stormKinds: readonly ScaleKind[] = [
  { name: "gate-inproc", label: "mqgen gate" },
  { name: "mosquitto", label: "Mosquitto" },
  { name: "aedes", label: "Aedes" },
];

export interface StormSummary {
  readonly name: string;
  readonly label: string;
  /** Median time from the first connect to the last CONNACK. */
  readonly allConnackedMs: number;
  readonly rounds: readonly { ms: number; accepted: number; refused: number; timedOut: number; reasons: Record<string, number> }[];
  readonly error?: string;
}

export interface StormOptions {
  readonly connections: number;
  readonly loadProcesses: number;
  readonly fileLimit: number;
}

async function startStormServer(name: string): Promise<{ port: number; stop(): Promise<void> }> {
  if (name === "mosquitto") {
    if (!mosquittoAvailable()) throw new Error("mosquitto is not installed (Debian package mosquitto)");
    return startMosquitto(fileLimit);
  }
  const started = await startServer(serverKindNamed(name));
  return { port: started.port, stop: () => stopServer(started) };
}

export async function runStormSection(
  rounds: number,
  options: StormOptions,
  log: (line: string) => void,
  only: readonly string[] = [],
): Promise<StormSummary[]> {
  const perKind = new Map<string, StormSummary["rounds"][number][]>();
  const errors = new Map<string, string>();
  // Rounds interleaved across kinds, each on a fresh server (an accept backlog or a socket table left over
  // from the last storm would be measured otherwise).
  for (let round = 0; round < rounds; round++) {
    for (const kind of stormKinds) {
      if (only.length > 0 && !only.includes(kind.name)) continue;
      if (errors.has(kind.name)) continue;
      const loads: Worker[] = [];
      let server: { port: number; stop(): Promise<void> } | undefined;
      try {
        server = await startStormServer(kind.name);
        const per = Math.ceil(options.connections / options.loadProcesses);
        for (let i = 0; i < options.loadProcesses; i++) {
          loads.push(
            Worker.start({
              script: "bench/gate/storm-load.ts",
              args: [String(server.port), String(Math.min(per, options.connections - i * per)), `storm${i}`],
              fileLimit: options.fileLimit,
            }),
          );
        }
        // Let the load processes load their code before the storm (they answer nothing until `go`).
        await sleep(1500);
        for (const load of loads) load.send({ type: "go", timeoutMs: 30_000 });
        const results = await Promise.all(loads.map((load) => load.next("stormed", 120_000)));
        const reasons: Record<string, number> = {};
        for (const m of results) {
          for (const [reason, n] of Object.entries(m["reasons"] as Record<string, number>)) reasons[reason] = (reasons[reason] ?? 0) + n;
        }
        const r = {
          ms: Math.max(...results.map((m) => Number(m["lastAt"]))) - Math.min(...results.map((m) => Number(m["startedAt"]))),
          accepted: results.reduce((sum, m) => sum + Number(m["accepted"]), 0),
          refused: results.reduce((sum, m) => sum + Number(m["refused"]), 0),
          timedOut: results.reduce((sum, m) => sum + Number(m["timedOut"]), 0),
          reasons,
        };
        const list = perKind.get(kind.name) ?? [];
        list.push(r);
        perKind.set(kind.name, list);
        log(
          `storm round ${round + 1}/${rounds} ${kind.name}: ${r.accepted} CONNACKed in ${r.ms.toFixed(0)} ms` +
            (r.refused + r.timedOut > 0 ? `, ${r.refused} refused, ${r.timedOut} timed out ${JSON.stringify(reasons)}` : ""),
        );
      } catch (error) {
        errors.set(kind.name, firstLine(error));
        log(`storm ${kind.name}: not measured — ${firstLine(error)}`);
      } finally {
        await Promise.all(loads.map((load) => load.stop()));
        await server?.stop();
      }
    }
  }
  return stormKinds
    .filter((kind) => only.length === 0 || only.includes(kind.name))
    .map((kind) => {
      const list = perKind.get(kind.name) ?? [];
      // A round where not everyone got a CONNACK never reached "all": it counts as slower than any other round.
      const times = list.map((r) => (r.accepted === options.connections ? r.ms : Number.POSITIVE_INFINITY)).sort((a, b) => a - b);
      const mid = Math.floor(times.length / 2);
      const middle = times.length === 0 ? Number.NaN : times.length % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
      const error = errors.get(kind.name);
      return {
        name: kind.name,
        label: kind.label,
        allConnackedMs: middle,
        rounds: list,
        ...(error === undefined ? {} : { error }),
      };
    });
}

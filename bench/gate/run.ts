/**
 * bench:gate — the mqgen gate against Aedes. Every server runs in its own child process; clients are other
 * processes. Two measurements:
 *  1. round trip at 1 and 64 in flight over one MQTT.js connection (see roundtrip.ts for the exact
 *     definition per server), and in the same rounds a bare NATS request/reply between two processes: the
 *     floor under the gate-over-NATS variant;
 *  2. resident memory per idle connection: a fresh server process, RSS after forced GC, then N raw TCP
 *     MQTT connections (CONNECT, CONNACK, then silence) from a client process, RSS after forced GC again;
 *     (after − before) / N.
 *
 * Env: BENCH_ROUNDS (default 3), BENCH_PHASE_MS (default 2000), BENCH_CONNECTIONS (default 10000),
 * BENCH_PROFILE_DIR (CPU-profile the server processes).
 */
import { NatsServer } from "../../test/support/nats-server.js";
import {
  environment,
  formatGoals,
  formatNumber,
  formatTable,
  judge,
  median,
  sleep,
  writeResult,
  type GoalResult,
  type LoadOptions,
  type LoadResult,
} from "../support/measure.js";
import { Worker } from "../support/worker.js";
import { serverKinds } from "./servers.js";
import { fileLimit, startServer, stopServer, type Started } from "./start.js";

const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
const phaseMs = Number(process.env["BENCH_PHASE_MS"] ?? 2000);
const connections = Number(process.env["BENCH_CONNECTIONS"] ?? 10_000);
const loadOptions: LoadOptions = { warmupMs: 500, serialMs: phaseMs, loadMs: phaseMs, concurrency: 64 };

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n").filter((l) => l.trim().length > 0);
  return (lines.find((l) => /Error[:\s]/.test(l)) ?? lines[0] ?? "failed").trim().slice(0, 200);
}

interface Outcome {
  readonly roundTrips: LoadResult[];
  readonly idleBytesPerConnection: number[];
  readonly connectSeconds: number[];
  /** The first request after the server started, if it failed before a retry succeeded. */
  readonly firstCallFailures: string[];
  roundTripError?: string;
  idleError?: string;
}

const env = await environment();
const noOutcomeYet = (): Outcome => ({ roundTrips: [], idleBytesPerConnection: [], connectSeconds: [], firstCallFailures: [] });
const outcomes = new Map<string, Outcome>(serverKinds.map((k) => [k.name, noOutcomeYet()]));

// 1. Round trips: one server and one client per kind, rounds interleaved across kinds. Beside the MQTT
// servers, the same rounds measure a bare NATS request/reply (no MQTT): the floor under any gate that reaches
// its backend over NATS.
interface Measured {
  readonly name: string;
  readonly client: Worker;
  stop(): Promise<void>;
}
const NATS_FLOOR = "nats-request";
const natsFloorLabel = "raw nats.js request/reply, shared reply subject (no MQTT)";
outcomes.set(NATS_FLOOR, noOutcomeYet());
const running: Measured[] = [];
for (const kind of serverKinds) {
  const outcome = outcomes.get(kind.name)!;
  let started: Started | undefined;
  try {
    started = await startServer(kind);
    const client = Worker.start({ script: "bench/gate/roundtrip.ts", args: [kind.roundTrip, String(started.port)] });
    const server = started;
    running.push({
      name: kind.name,
      client,
      stop: async () => {
        await client.stop();
        await stopServer(server);
      },
    });
    const ready = await client.next("ready", 60_000);
    const failures = (ready["firstCallFailures"] ?? []) as string[];
    if (failures.length > 0) {
      outcome.firstCallFailures.push(...failures);
      console.log(`${kind.name}: the first request after start failed and was retried — ${failures.join("; ")}`);
    }
  } catch (error) {
    outcome.roundTripError = firstLine(error);
    console.log(`${kind.name}: round trip not measured — ${outcome.roundTripError}`);
  }
}
{
  // bench:rpc's raw shared-reply peer: requester and responder in their own processes, a private nats-server.
  // The requester starts once the responder is subscribed: a raw request to nobody is simply lost.
  let nats: NatsServer | undefined;
  let responder: Worker | undefined;
  let requester: Worker | undefined;
  const stopFloor = async (): Promise<void> => {
    await requester?.stop();
    await responder?.stop();
    await nats?.dispose();
  };
  try {
    nats = await NatsServer.start();
    responder = Worker.start({ script: "bench/rpc/server.ts", args: ["raw-shared-reply", nats.url] });
    await responder.next("ready", 30_000);
    requester = Worker.start({ script: "bench/rpc/client.ts", args: ["raw-shared-reply", nats.url] });
    await requester.next("ready", 30_000);
    running.push({ name: NATS_FLOOR, client: requester, stop: stopFloor });
  } catch (error) {
    outcomes.get(NATS_FLOOR)!.roundTripError = firstLine(error);
    console.log(`${NATS_FLOOR}: round trip not measured — ${firstLine(error)}`);
    await stopFloor();
  }
}
for (let round = 0; round < rounds; round++) {
  const order = running.map((_, i) => running[(i + round) % running.length]!);
  for (const { name, client } of order) {
    const outcome = outcomes.get(name)!;
    if (outcome.roundTripError !== undefined) continue;
    try {
      client.send({ type: "run", options: loadOptions });
      const result = (await client.next("result", 2 * phaseMs + 60_000)) as unknown as LoadResult;
      outcome.roundTrips.push(result);
      console.log(
        `round ${round + 1}/${rounds} ${name}: p50 ${formatNumber(result.p50Us)} µs, ${formatNumber(result.concurrentPerSec)}/s at 64`,
      );
    } catch (error) {
      outcome.roundTripError = firstLine(error);
      console.log(`${name}: round trip failed — ${outcome.roundTripError}`);
    }
  }
}
for (const measured of running) await measured.stop();

// 2. Idle memory: a fresh server process per kind and round, so RSS never carries over.
for (let round = 0; round < rounds; round++) {
  for (const kind of serverKinds) {
    const outcome = outcomes.get(kind.name)!;
    if (!kind.idle || outcome.idleError !== undefined) continue;
    let started: Started | undefined;
    let idle: Worker | undefined;
    try {
      started = await startServer(kind);
      started.server.send({ type: "rss" });
      const before = Number((await started.server.next("rss")).rss);
      idle = Worker.start({ script: "bench/gate/idle.ts", args: [String(started.port), String(connections)], fileLimit });
      const connected = await idle.next("connected", 180_000);
      if (Number(connected["count"]) !== connections) throw new Error(`only ${String(connected["count"])} connections`);
      await sleep(1000);
      started.server.send({ type: "rss" });
      const after = Number((await started.server.next("rss")).rss);
      const perConnection = (after - before) / connections;
      outcome.idleBytesPerConnection.push(perConnection);
      outcome.connectSeconds.push(Number(connected["seconds"]));
      console.log(
        `round ${round + 1}/${rounds} idle ${kind.name}: ${formatNumber(perConnection)} B/connection (RSS ${formatNumber(before / 1e6, 1)} → ${formatNumber(after / 1e6, 1)} MB)`,
      );
    } catch (error) {
      outcome.idleError = firstLine(error);
      console.log(`${kind.name}: idle memory not measured — ${outcome.idleError}`);
    } finally {
      await idle?.stop();
      if (started !== undefined) await stopServer(started);
    }
  }
}

interface Summary {
  readonly name: string;
  readonly label: string;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly serialPerSec: number;
  readonly concurrentPerSec: number;
  readonly idleBytesPerConnection: number;
  readonly firstCallFailures: readonly string[];
  readonly roundTripError?: string;
  readonly idleError?: string;
}

const measuredKinds = [
  ...serverKinds.map((kind) => ({ name: kind.name, label: kind.label, idle: kind.idle })),
  { name: NATS_FLOOR, label: natsFloorLabel, idle: false },
];
const summaries = measuredKinds.map((kind): Summary => {
  const o = outcomes.get(kind.name)!;
  const rt = o.roundTripError === undefined ? o.roundTrips : [];
  return {
    name: kind.name,
    label: kind.label,
    p50Us: median(rt.map((r) => r.p50Us)),
    p99Us: median(rt.map((r) => r.p99Us)),
    serialPerSec: median(rt.map((r) => r.serialPerSec)),
    concurrentPerSec: median(rt.map((r) => r.concurrentPerSec)),
    idleBytesPerConnection: o.idleError === undefined && kind.idle ? median(o.idleBytesPerConnection) : Number.NaN,
    firstCallFailures: o.firstCallFailures,
    ...(o.roundTripError === undefined ? {} : { roundTripError: o.roundTripError }),
    ...(o.idleError === undefined ? {} : { idleError: o.idleError }),
  };
});
const get = (name: string): Summary => summaries.find((s) => s.name === name)!;
const aedes = get("aedes");
const aedesResponder = get("aedes-responder");

const goals: GoalResult[] = [];
for (const name of ["gate-inproc", "gate-nats"]) {
  const s = get(name);
  goals.push(
    judge(`${s.label}: idle RSS per connection ≤ 0.8× Aedes`, s.idleBytesPerConnection, aedes.idleBytesPerConnection, "atMost", 0.8),
    judge(`${s.label}: round-trip p50 at 1 in flight ≤ 2× Aedes`, s.p50Us, aedes.p50Us, "atMost", 2),
  );
}
// Not the goal, but the like-for-like comparison for the NATS variant: there the request crosses
// a broker to a backend process and back, which Aedes' QoS 1 echo (client → broker → same client) does not.
const overNats = get("gate-nats");
goals.push(
  judge(
    `${overNats.label}: round-trip p50 ≤ 2× Aedes request to a responder client (like for like; not the issue's goal)`,
    overNats.p50Us,
    aedesResponder.p50Us,
    "atMost",
    2,
  ),
);
// Why the NATS variant's goal is out of reach here: a gate over NATS makes the MQTT hop that Aedes' echo makes
// and, on top of it, a full NATS round trip (gate → nats-server → backend → nats-server → gate). Aedes' whole
// echo plus a bare nats.js round trip, both measured in this run, estimates the least any such gate can take;
// when that estimate alone is above 2× Aedes, no gate over NATS meets the goal on this machine.
const natsFloor = get(NATS_FLOOR);
const floorUs = aedes.p50Us + natsFloor.p50Us;
goals.push(
  judge(
    "floor of the NATS variant (Aedes QoS 1 echo + bare NATS round trip): p50 ≤ 2× Aedes",
    floorUs,
    aedes.p50Us,
    "atMost",
    2,
    "not the issue's goal: a MISS here means no gate over NATS can meet it on this machine",
  ),
);

console.log(
  `\nbench:gate — median of ${rounds} rounds (${phaseMs} ms per phase), ${formatNumber(connections)} idle connections, ${env["cpus"]} CPUs, node ${env["node"]}\n`,
);
console.log(
  formatTable(
    ["server", "p50 µs", "p99 µs", "1 in flight /s", "64 in flight /s", "idle B/conn"],
    summaries.map((s) => [
      s.label,
      formatNumber(s.p50Us, 1),
      formatNumber(s.p99Us, 1),
      formatNumber(s.serialPerSec),
      formatNumber(s.concurrentPerSec),
      formatNumber(s.idleBytesPerConnection),
    ]),
  ),
);
for (const s of summaries) {
  if (s.roundTripError !== undefined) console.log(`${s.label}: round trip not measured — ${s.roundTripError}`);
  if (s.idleError !== undefined) console.log(`${s.label}: idle memory not measured — ${s.idleError}`);
  if (s.firstCallFailures.length > 0) {
    console.log(`${s.label}: first request after start failed before a retry: ${s.firstCallFailures.join("; ")}`);
  }
}
console.log(`\n${formatGoals(goals)}\n`);
console.log(
  `${overNats.label}: p50 ${formatNumber(overNats.p50Us, 1)} µs = ${formatNumber(overNats.p50Us / floorUs, 2)}× the floor estimate (${formatNumber(floorUs, 1)} µs)\n`,
);

const path = writeResult("gate", {
  benchmark: "gate",
  environment: env,
  method: {
    rounds,
    warmupMs: loadOptions.warmupMs,
    serialMs: loadOptions.serialMs,
    loadMs: loadOptions.loadMs,
    concurrency: loadOptions.concurrency,
    idleConnections: connections,
    roundTrip: {
      gate: 'MQTT.js, one connection, PUBLISH QoS 1 helloworld/HD_say/<n> {"name":"x"}, until the reply PUBLISH on the same topic',
      aedes: "MQTT.js, one connection subscribed QoS 1 to bench/<clientId>/+, PUBLISH QoS 1 bench/<clientId>/<n>, until delivered back",
      natsFloor:
        "bench:rpc's raw shared-reply peer: a nats.js requester process, a private nats-server, a nats.js responder process echoing one byte; ids in the payload, one reply subscription",
      aedesResponder:
        'MQTT.js, one connection subscribed QoS 1 to reply/<clientId>/+, PUBLISH QoS 1 req/<clientId>/<n> {"name":"x"}; a responder MQTT.js client in another process answers on reply/<clientId>/<n>',
    },
    idle: "fresh server process; RSS after 4× gc(); raw CONNECT (keepalive 60) per connection; RSS after gc(); (after − before) / N",
  },
  servers: summaries.map((s) => ({ ...s, perRound: outcomes.get(s.name)! })),
  natsVariantFloor: { p50Us: floorUs, gateOverNatsRatio: overNats.p50Us / floorUs },
  goals,
});
console.log(`wrote ${path}`);

/**
 * 100k mutated MQTT packets against the gate over TCP (and 20k more over WebSocket), with the gate in a
 * child process so a crash shows as an exit. Throughout, a well-behaved MQTT.js client keeps calling a
 * backend handler through the same gate and every call must be answered. Seeds: mqtt-packet's own test
 * packets (test/fixtures/gate-fuzz).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { connect as connectTcp } from "node:net";
import { after, before, test } from "node:test";
import mqtt from "mqtt";
import WebSocket from "ws";
import { goodConnect, int, loadSeeds, mutate, seededRandom, type Random, type Seed } from "./mutate.js";

const TCP_PACKETS = 100_000;
const WS_PACKETS = 20_000;
const WORKERS = 24;
/** How long a fuzz connection stays open after its batch was written and the gate answered. */
const LINGER_MS = 25;
/** How long to wait for any answer at all (a loaded machine delays the CONNACK). */
const FIRST_ANSWER_MS = 500;

interface GateNode {
  readonly child: ChildProcess;
  readonly tcpPort: number;
  readonly wsPort: number;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

async function startGateNode(): Promise<GateNode> {
  const child = spawn(process.execPath, ["--import", "tsx", new URL("./gate-node.ts", import.meta.url).pathname], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ports = await new Promise<[number, number]>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`gate node did not start: ${stderr}`)), 20_000);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /READY (\d+) (\d+)/.exec(stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolve([Number(match[1]), Number(match[2])]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gate node exited with ${code} before it was ready: ${stderr}`));
    });
  });
  return { child, tcpPort: ports[0], wsPort: ports[1], stderr: () => stderr, exited };
}

interface ConnectionOutcome {
  /** Bytes the gate sent back (CONNACKs, acks, replies). */
  readonly received: number;
  /** The gate closed the connection before the linger time ran out. */
  readonly closedByGate: boolean;
}

/** Splits a batch into 1–4 pieces, so packets also straddle reads (TCP) and messages (WebSocket). */
function pieces(batch: Buffer, random: Random): Buffer[] {
  const count = 1 + int(random, 4);
  const out: Buffer[] = [];
  let offset = 0;
  for (let i = 1; i < count && offset < batch.length; i++) {
    const end = offset + int(random, batch.length - offset);
    out.push(batch.subarray(offset, end));
    offset = end;
  }
  out.push(batch.subarray(offset));
  return out;
}

/**
 * Bookkeeping shared by both transports: resolves when the gate closed the connection, or LINGER_MS after
 * its first answer once everything was written, or FIRST_ANSWER_MS after writing when it never answers.
 */
function outcomeTracker(close: () => void, resolve: (outcome: ConnectionOutcome) => void) {
  let timer: NodeJS.Timeout | undefined;
  let received = 0;
  let written = false;
  let done = false;
  const finish = (closedByGate: boolean) => {
    if (done) return;
    done = true;
    if (timer !== undefined) clearTimeout(timer);
    close();
    resolve({ received, closedByGate });
  };
  const linger = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => finish(false), LINGER_MS);
  };
  return {
    finish,
    received(bytes: number) {
      const first = received === 0;
      received += bytes;
      if (first && written) linger();
    },
    written() {
      written = true;
      if (received > 0) linger();
      else timer = setTimeout(() => finish(false), FIRST_ANSWER_MS);
    },
  };
}

function fuzzTcpConnection(port: number, batch: Buffer, random: Random): Promise<ConnectionOutcome> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, "127.0.0.1");
    const tracker = outcomeTracker(() => socket.destroy(), resolve);
    socket.on("data", (chunk: Buffer) => tracker.received(chunk.length));
    socket.on("error", () => tracker.finish(true));
    socket.on("close", () => tracker.finish(true));
    socket.once("connect", () => {
      const parts = pieces(batch, random);
      parts.forEach((part, i) => socket.write(part, i === parts.length - 1 ? () => tracker.written() : undefined));
    });
  });
}

function fuzzWsConnection(port: number, batch: Buffer, random: Random): Promise<ConnectionOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, "mqtt");
    const tracker = outcomeTracker(() => socket.terminate(), resolve);
    socket.on("message", (data: Buffer) => tracker.received(data.length));
    socket.on("error", () => tracker.finish(true));
    socket.on("close", () => tracker.finish(true));
    socket.once("open", () => {
      const parts = pieces(batch, random);
      parts.forEach((part, i) => socket.send(part, { binary: true }, i === parts.length - 1 ? () => tracker.written() : undefined));
    });
  });
}

/** One connection's bytes: usually a valid CONNECT first, then a mix of valid and mutated packets. */
function buildBatch(random: Random, seeds: readonly Seed[], connectionNo: number): { bytes: Buffer; packets: number } {
  const parts: Buffer[] = [];
  const first = goodConnect(`fuzz-${connectionNo}`);
  const roll = random();
  if (roll < 0.8) parts.push(first);
  else if (roll < 0.9) parts.push(mutate(first, random, seeds));
  else parts.push(mutate(seeds[int(random, seeds.length)].bytes, random, seeds));
  const count = 1 + int(random, 60);
  for (let i = 0; i < count; i++) {
    const seed = seeds[int(random, seeds.length)].bytes;
    parts.push(random() < 0.35 ? seed : mutate(seed, random, seeds));
  }
  return { bytes: Buffer.concat(parts), packets: parts.length };
}

let gate: GateNode;

before(async () => {
  gate = await startGateNode();
});

after(async () => {
  if (gate.child.exitCode === null) {
    gate.child.kill("SIGTERM");
    await gate.exited;
  }
});

interface FuzzRun {
  readonly transport: "tcp" | "ws";
  readonly totalPackets: number;
}

async function fuzz({ transport, totalPackets }: FuzzRun): Promise<void> {
  const seed = Number(process.env.GATE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
  const random = seededRandom(seed);
  const seeds = loadSeeds();
  const connectTo = transport === "tcp" ? fuzzTcpConnection : fuzzWsConnection;
  const port = transport === "tcp" ? gate.tcpPort : gate.wsPort;

  const client = await mqtt.connectAsync(
    transport === "tcp" ? `mqtt://127.0.0.1:${gate.tcpPort}` : `ws://127.0.0.1:${gate.wsPort}/mqtt`,
    { clientId: `well-behaved-${transport}`, protocolVersion: 4, reconnectPeriod: 0, keepalive: 30 },
  );
  let answered = 0;
  const pending = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  client.on("message", (topic, payload) => {
    const waiter = pending.get(topic);
    if (waiter === undefined) return;
    pending.delete(topic);
    const reply = JSON.parse(payload.toString("utf8")) as { Error: string; Result: unknown };
    if (reply.Error !== "" || (reply.Result as { n?: number } | null)?.n === undefined) {
      waiter.reject(new Error(`bad reply on ${topic}: ${payload.toString("utf8")}`));
    } else {
      answered++;
      waiter.resolve();
    }
  });
  let callNo = 0;
  const calls: Promise<void>[] = [];
  let fuzzing = true;
  const probe = (async () => {
    while (fuzzing) {
      const n = ++callNo;
      const topic = `fuzzecho/HD_echo/${n}`;
      calls.push(
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`call ${n} unanswered after 10 s (seed ${seed})`)), 10_000);
          pending.set(topic, {
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
            reject: (err) => {
              clearTimeout(timer);
              reject(err);
            },
          });
        }),
      );
      client.publish(topic, JSON.stringify({ n }), { qos: 0 });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  let packetsSent = 0;
  let connections = 0;
  let answeredConnections = 0;
  let closedByGate = 0;
  const workers = Array.from({ length: WORKERS }, async () => {
    while (packetsSent < totalPackets && gate.child.exitCode === null) {
      const batch = buildBatch(random, seeds, connections++);
      packetsSent += batch.packets;
      const outcome = await connectTo(port, batch.bytes, random);
      if (outcome.received > 0) answeredConnections++;
      if (outcome.closedByGate) closedByGate++;
    }
  });
  await Promise.all(workers);
  fuzzing = false;
  await probe;
  const results = await Promise.allSettled(calls);
  await client.endAsync();

  assert.equal(gate.child.exitCode, null, `gate crashed (${transport}, seed ${seed}):\n${gate.stderr()}`);
  assert.ok(packetsSent >= totalPackets, `only ${packetsSent} packets were sent`);
  const failed = results.filter((r) => r.status === "rejected");
  assert.deepEqual(
    failed.map((r) => String((r as PromiseRejectedResult).reason)),
    [],
    `well-behaved calls failed during fuzzing (${transport}, seed ${seed})`,
  );
  assert.ok(answered >= 5, `only ${answered} well-behaved calls were answered`);
  assert.doesNotMatch(gate.stderr(), /uncaught|unhandled|TypeError|RangeError/i, `gate logged a crash-class error (seed ${seed})`);
  // Both paths must be exercised: batches the gate answered (past CONNECT, into the packet handlers) and
  // batches it refused. Exact shares depend on timing (a close may beat the CONNACK out), so only a floor.
  assert.ok(answeredConnections > connections / 10, `the gate answered only ${answeredConnections} of ${connections} connections`);
  assert.ok(closedByGate > connections / 10, `the gate closed only ${closedByGate} of ${connections} connections: mutations too tame`);
  console.log(
    `fuzz ${transport}: seed ${seed}, ${packetsSent} packets over ${connections} connections ` +
      `(${answeredConnections} answered, ${closedByGate} closed by the gate), ${answered} well-behaved calls answered`,
  );
}

test("100k mutated packets over TCP leave the gate serving a well-behaved client", { timeout: 120_000 }, async () => {
  await fuzz({ transport: "tcp", totalPackets: TCP_PACKETS });
});

test("20k mutated packets over WebSocket leave the gate serving a well-behaved client", { timeout: 120_000 }, async () => {
  await fuzz({ transport: "ws", totalPackets: WS_PACKETS });
});

test("after fuzzing, the gate process still stops cleanly", async () => {
  // A clean shutdown proves the process was still healthy, not just alive.
  assert.equal(gate.child.exitCode, null, `gate is gone:\n${gate.stderr()}`);
  gate.child.kill("SIGTERM");
  const code = await gate.exited;
  assert.equal(code, 0, `gate exited with ${code} on SIGTERM:\n${gate.stderr()}`);
});

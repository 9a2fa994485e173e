/**
 * Rooms through real clients: 1,000 raw MQTT sockets and MQTT.js clients join a room through an `HD_`
 * handler (Session.joinRoom → the gate's JoinRoom RPC), a backend pushes to the room with GateRooms (one
 * RoomPush RPC for the whole room), and every client counts what it got. Both with the backend in the gate's
 * process and in another process over a real nats-server.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { connect, type NatsConnection } from "nats";
import type { MqttClient } from "mqtt";
import { Gate, NatsKvRegistry, createApp, type App, type ClosedConnectionInfo, type GateOptions, type GateServer } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { connectMqtt, nextMessage } from "./support.js";
import { openMembers, roomModule, RoomMember } from "./rooms-support.js";

const MAX_UNSENT = 256 * 1024;

interface RoomsHarness {
  readonly app: App;
  readonly server: GateServer;
  readonly port: number;
  readonly closed: ClosedConnectionInfo[];
  stop(): Promise<void>;
}

function gateOptions(closed: ClosedConnectionInfo[]): GateOptions {
  return { tcpAddr: "127.0.0.1:0", maxUnsentBytes: MAX_UNSENT, onConnectionClosed: (info) => closed.push(info) };
}

async function inProcess(): Promise<RoomsHarness> {
  const closed: ClosedConnectionInfo[] = [];
  const gate = new Gate(gateOptions(closed));
  const app = createApp({
    parseFlags: false,
    debug: false,
    config: { Module: { Gate: [{ Id: "Gate001", ProcessID: "development", Settings: {} }], room: [{ Id: "room001", ProcessID: "development", Settings: {} }] } },
  });
  await app.start([gate, roomModule()]);
  return { app, server: gate.server, port: gate.server.tcpPort ?? 0, closed, stop: () => app.stop() };
}

async function overNats(): Promise<RoomsHarness> {
  const bucket = "gate-rooms-test";
  const nats = await NatsServer.start({ jetstream: true });
  let backend: ChildProcess | undefined;
  let registryConnection: NatsConnection | undefined;
  let registry: NatsKvRegistry | undefined;
  let app: App | undefined;
  const stop = async (): Promise<void> => {
    await app?.stop();
    if (backend !== undefined && backend.exitCode === null) {
      const exited = new Promise((resolve) => backend?.once("exit", resolve));
      backend.kill("SIGTERM");
      await exited;
    }
    await registry?.close();
    await registryConnection?.close();
    await nats.dispose();
  };
  try {
    const child = spawn(process.execPath, ["--import", "tsx", new URL("./backend-node.ts", import.meta.url).pathname, nats.url, bucket, "room"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    backend = child;
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`backend did not start: ${stderr}`)), 30_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => reject(new Error(`backend exited with ${code}: ${stderr}`)));
    });
    registryConnection = await connect({ servers: nats.url });
    registry = new NatsKvRegistry({ connection: registryConnection, bucket });
    const closed: ClosedConnectionInfo[] = [];
    const gate = new Gate(gateOptions(closed));
    const started = createApp({
      parseFlags: false,
      debug: false,
      processId: "gate",
      nats: { servers: nats.url },
      registry,
      config: { Module: { Gate: [{ Id: "Gate001", ProcessID: "gate", Settings: {} }] } },
    });
    app = started;
    await started.start([gate]);
    // Both sides must see each other in the registry: the gate routes HD_ calls to `room`, and the backend's
    // GateRooms finds the gates to push to.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const rooms = await started.getServersByType("room");
      if (rooms.length > 0 && Number(await started.call("room", "gates", [])) > 0) break;
      if (Date.now() > deadline) throw new Error("gate and backend never saw each other");
      await new Promise((r) => setTimeout(r, 50));
    }
    return { app: started, server: gate.server, port: gate.server.tcpPort ?? 0, closed, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function push(h: RoomsHarness, room: string, topic: string, body: string): Promise<number> {
  return Number(await h.app.call("room", "push", [room, topic, body]));
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const [mode, start] of [
  ["backend in process", inProcess],
  ["backend over NATS", overNats],
] as const) {
  describe(`rooms, ${mode}`, () => {
    let h: RoomsHarness;
    before(async () => {
      h = await start();
    });
    after(async () => {
      await h?.stop();
    });

    test("a push to a room of 1,000 raw and 10 MQTT.js clients reaches every one exactly once, in order", { timeout: 110_000 }, async () => {
      const raw = await openMembers(h.port, `lobby-${mode.length}`, 1000, "lobby");
      const mqttClients: MqttClient[] = [];
      const mqttReceived: string[][] = [];
      try {
        for (let i = 0; i < 10; i++) {
          const client = await connectMqtt(`mqtt://127.0.0.1:${h.port}`, { clientId: `mqttjs-${i}` });
          mqttClients.push(client);
          const received: string[] = [];
          mqttReceived.push(received);
          client.on("message", (topic, payload) => {
            if (topic === "/room/lobby") received.push(payload.toString());
          });
          const joined = nextMessage(client, "room/HD_join/1", 20_000);
          await client.publishAsync("room/HD_join/1", JSON.stringify({ room: "lobby" }));
          assert.equal((JSON.parse(await joined) as { Error: string }).Error, "");
        }
        assert.equal(h.server.roomSize("lobby"), 1010);

        // 20 pushes issued at once, then one more after they all returned.
        const burst = String(await h.app.call("room", "pushBurst", ["lobby", "/room/lobby", 0, 20]));
        assert.deepEqual(burst.split(","), Array.from({ length: 20 }, () => "1010"), "every push reached all 1,010 members");
        assert.equal(await push(h, "lobby", "/room/lobby", "20"), 1010);
        const expected = Array.from({ length: 21 }, (_, i) => String(i));

        await Promise.all(raw.map((m) => m.until(() => m.bodies("/room/lobby").length >= 21, 60_000, "21 pushes")));
        await waitFor(() => mqttReceived.every((r) => r.length >= 21), 60_000, "21 pushes on every MQTT.js client");
        for (const member of raw) assert.deepEqual(member.bodies("/room/lobby"), expected, member.clientId);
        for (const received of mqttReceived) assert.deepEqual(received, expected);
        assert.ok(raw.every((m) => !m.closed), "no member was dropped");
      } finally {
        for (const member of raw) member.destroy();
        await Promise.all(mqttClients.map((c) => c.endAsync()));
      }
      await waitFor(() => h.server.roomSize("lobby") === 0, 10_000, "closed connections leaving the room");
    });

    test("leaving the room stops pushes; a closed connection leaves its rooms", { timeout: 60_000 }, async () => {
      const [leaver, stayer, closer] = await openMembers(h.port, `leave-${mode.length}`, 3, "hall");
      assert.ok(leaver && stayer && closer);
      try {
        assert.equal(await push(h, "hall", "/room/hall", "before"), 3);
        await Promise.all([leaver, stayer, closer].map((m) => m.until(() => m.bodies("/room/hall").length === 1, 10_000, "first push")));

        await leaver.leave("hall");
        closer.destroy();
        await waitFor(() => h.server.roomSize("hall") === 1, 10_000, "the closed member leaving the room");
        assert.equal(await push(h, "hall", "/room/hall", "after"), 1, "only the member that stayed gets it");
        await stayer.until(() => stayer.bodies("/room/hall").length === 2, 10_000, "second push");
        // A reply on the leaver's own connection is written after anything queued for it before, so once it
        // arrives, a push that was going to reach the leaver would already have.
        await leaver.join("elsewhere");
        assert.deepEqual(leaver.bodies("/room/hall"), ["before"]);
        assert.deepEqual(stayer.bodies("/room/hall"), ["before", "after"]);
        assert.equal(await push(h, "nobody-here", "/room/none", "x"), 0, "a room without members");
      } finally {
        leaver.destroy();
        stayer.destroy();
      }
    });

    test("a backend holding session ids joins, sizes and empties a room with GateRooms", { timeout: 60_000 }, async () => {
      const members = await openMembers(h.port, `many-${mode.length}`, 3, "seed");
      try {
        const ids = h.server.sessions().filter((s) => s.sessionId !== "" && h.server.roomsOf(s.sessionId).includes("seed")).map((s) => s.sessionId);
        assert.equal(ids.length, 3);
        const gate = h.server.nodeId;
        assert.equal(Number(await h.app.call("room", "joinMany", [gate, [...ids, "0000000000000000"].join(","), "many"])), 3, "unknown ids are not counted");
        assert.equal(Number(await h.app.call("room", "size", ["many"])), 3);
        assert.equal(await push(h, "many", "/room/many", "to three"), 3);
        await Promise.all(members.map((m) => m.until(() => m.bodies("/room/many").length === 1, 10_000, "the push")));
        assert.equal(Number(await h.app.call("room", "leaveMany", [gate, ids.slice(0, 2).join(","), "many"])), 2);
        assert.equal(Number(await h.app.call("room", "size", ["many"])), 1);
        assert.equal(Number(await h.app.call("room", "leaveMany", [gate, ids[2]!, "many"])), 1);
        assert.equal(Number(await h.app.call("room", "size", ["many"])), 0, "an emptied room is gone");
      } finally {
        for (const member of members) member.destroy();
      }
    });

    test("a slow reader in the room is dropped for its unsent bytes while the others keep receiving", { timeout: 110_000 }, async () => {
      const fast = await openMembers(h.port, `fast-${mode.length}`, 30, "arena");
      const slow = await RoomMember.connect(h.port, `slow-${mode.length}`);
      try {
        await slow.join("arena");
        // Stops reading: the kernel buffers fill, then the gate's queue, then the cap drops it.
        slow.socket.pause();
        const filler = "x".repeat(64 * 1024);
        let sent = 0;
        let droppedAt = -1;
        // Bounded: the cap plus loopback buffers are a few MiB, reached long before 400 pushes of 64 KiB.
        while (sent < 400 && (droppedAt < 0 || sent < droppedAt + 5)) {
          const count = await push(h, "arena", "/room/arena", `${sent}:${filler}`);
          sent++;
          if (droppedAt < 0 && count === 30) droppedAt = sent;
          else assert.equal(count, droppedAt < 0 ? 31 : 30);
          // Paced by the fast readers: each push waits until all of them have the previous one.
          await Promise.all(fast.map((m) => m.until(() => m.pushes.length >= sent, 30_000, `push ${sent}`)));
        }
        assert.ok(droppedAt > 0, `the slow reader was dropped (after ${sent} pushes)`);
        const info = h.closed.find((c) => c.clientId === slow.clientId);
        assert.ok(info, "the gate reported the dropped connection");
        assert.match(info.reason, /unsent bytes/);
        const expected = Array.from({ length: sent }, (_, i) => `${i}:`);
        for (const member of fast) {
          assert.deepEqual(member.pushes.map((p) => p.body.slice(0, p.body.indexOf(":") + 1)), expected, member.clientId);
          assert.ok(member.pushes.every((p) => p.length === `${p.body.slice(0, p.body.indexOf(":"))}:`.length + filler.length));
          assert.equal(member.closed, false);
        }
        assert.equal(h.server.roomSize("arena"), 30);
      } finally {
        slow.destroy();
        for (const member of fast) member.destroy();
      }
    });
  });
}

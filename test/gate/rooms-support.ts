/**
 * Rooms under test: a `room` backend module (clients join and leave through `HD_` handlers that call the
 * Session's room methods; the test pushes through the module's `push`/`pushBurst` handlers, which use
 * GateRooms as any backend process would) and raw MQTT members that record every PUBLISH they get.
 */
import { connect as connectTcp, type Socket } from "node:net";
import mqttPacket, { type Packet } from "mqtt-packet";
import { GateRooms, type Module, type ModuleContext, type Session } from "../../runtime/internal.js";

const textDecoder = new TextDecoder();

function roomOf(message: unknown): string {
  const room = (message as Record<string, unknown>)["room"];
  return typeof room === "string" ? room : "";
}

/** The backend: `HD_join`/`HD_leave` for clients; `push(room, topic, body)` and `pushBurst(room, topic, from, count)` for the test. */
export function roomModule(): Module {
  return {
    type: "room",
    version: "1.0.0",
    onInit(ctx: ModuleContext) {
      const rooms = new GateRooms(ctx.app);
      ctx.server.registerGo("HD_join", async (args) => {
        const [session, message] = args as [Session, unknown];
        await session.joinRoom(roomOf(message));
        return session.serverId;
      });
      ctx.server.registerGo("HD_leave", async (args) => {
        const [session, message] = args as [Session, unknown];
        await session.leaveRoom(roomOf(message));
        return "left";
      });
      ctx.server.registerGo("gates", async () => BigInt((await rooms.gates()).length));
      // GateRooms' own join/leave/size, as a backend holding session ids would use them.
      ctx.server.registerGo("joinMany", async (args) => {
        const [gate, ids, room] = args as [string, string, string];
        return BigInt(await rooms.join(gate, ids.split(","), room));
      });
      ctx.server.registerGo("leaveMany", async (args) => {
        const [gate, ids, room] = args as [string, string, string];
        return BigInt(await rooms.leave(gate, ids, room));
      });
      ctx.server.registerGo("size", async (args) => BigInt(await rooms.size(String(args[0]))));
      ctx.server.registerGo("push", async (args) => {
        const [room, topic, body] = args as [string, string, string];
        return BigInt(await rooms.push(room, topic, body));
      });
      // Many pushes issued at once (not one after another): they reach the gate back to back, so its
      // batching meets several messages per socket per tick; each must still arrive once and in order.
      ctx.server.registerGo("pushBurst", async (args) => {
        const [room, topic, from, count] = args as [string, string, bigint | number, bigint | number];
        const gate = (await rooms.gates())[0];
        if (gate === undefined) throw new Error("no gate");
        const start = Number(from);
        const counts = await Promise.all(
          Array.from({ length: Number(count) }, (_, i) => rooms.push(room, topic, String(start + i), { gate })),
        );
        return counts.map(String).join(",");
      });
    },
  };
}

export interface Received {
  readonly topic: string;
  /** The body, cut to its first 32 characters (pushes in the slow-reader test are 64 KiB each). */
  readonly body: string;
  readonly length: number;
}

/** A raw TCP MQTT client that joined a room through `room/HD_join`; records pushes in arrival order. */
export class RoomMember {
  readonly clientId: string;
  readonly socket: Socket;
  /** Down-link publishes other than replies to this member's own requests. */
  readonly pushes: Received[] = [];
  closed = false;
  private readonly replies = new Map<string, (body: string) => void>();
  private readonly changed = new Set<() => void>();
  private nextMsgId = 0;

  private constructor(clientId: string, socket: Socket) {
    this.clientId = clientId;
    this.socket = socket;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (packet: Packet) => this.onPacket(packet));
    parser.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => parser.parse(chunk));
    socket.on("error", () => {});
    socket.once("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  private connackWaiter: ((code: number) => void) | undefined;

  private onPacket(packet: Packet): void {
    if (packet.cmd === "connack") this.connackWaiter?.(packet.returnCode ?? -1);
    if (packet.cmd !== "publish") return;
    const body = typeof packet.payload === "string" ? packet.payload : textDecoder.decode(packet.payload);
    const reply = this.replies.get(packet.topic);
    if (reply !== undefined) {
      this.replies.delete(packet.topic);
      reply(body);
    } else {
      this.pushes.push({ topic: packet.topic, body: body.slice(0, 32), length: body.length });
    }
    this.wake();
  }

  private wake(): void {
    for (const wake of [...this.changed]) wake();
  }

  static async connect(port: number, clientId: string): Promise<RoomMember> {
    const socket = connectTcp(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const member = new RoomMember(clientId, socket);
    const code = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${clientId}: no CONNACK`)), 20_000);
      member.connackWaiter = (c) => {
        clearTimeout(timer);
        resolve(c);
      };
      socket.write(mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId, keepalive: 60 }));
    });
    if (code !== 0) throw new Error(`${clientId}: CONNACK ${code}`);
    return member;
  }

  /** Publishes `module/HD_x/<n>` with a JSON body and resolves with the reply envelope's Result. */
  async request(topicPrefix: string, body: Record<string, unknown>, timeoutMs = 20_000): Promise<unknown> {
    const topic = `${topicPrefix}/${++this.nextMsgId}`;
    const reply = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.clientId}: no reply on ${topic}`)), timeoutMs);
      this.replies.set(topic, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    this.socket.write(mqttPacket.generate({ cmd: "publish", topic, payload: JSON.stringify(body), qos: 0, retain: false, dup: false }));
    const envelope = JSON.parse(await reply) as { Error: string; Result: unknown };
    if (envelope.Error !== "") throw new Error(`${this.clientId}: ${envelope.Error}`);
    return envelope.Result;
  }

  join(room: string): Promise<unknown> {
    return this.request("room/HD_join", { room });
  }

  leave(room: string): Promise<unknown> {
    return this.request("room/HD_leave", { room });
  }

  bodies(topic: string): string[] {
    return this.pushes.filter((p) => p.topic === topic).map((p) => p.body);
  }

  /** Resolves once `done()` holds (checked on every packet and on close), or rejects after the timeout. */
  until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.changed.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.changed.delete(check);
        reject(new Error(`${this.clientId}: ${what} not reached in ${timeoutMs} ms (has ${this.pushes.length} pushes, closed ${this.closed})`));
      }, timeoutMs);
      this.changed.add(check);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Opens `count` members in bounded parallel batches (the accept backlog stays small) and joins each to `room`. */
export async function openMembers(port: number, prefix: string, count: number, room: string): Promise<RoomMember[]> {
  const members: RoomMember[] = [];
  const parallel = 100;
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next++;
        const member = await RoomMember.connect(port, `${prefix}-${index}`);
        members[index] = member;
        await member.join(room);
      }
    }),
  );
  return members;
}

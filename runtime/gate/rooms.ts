/**
 * Rooms from any process: a backend that holds session ids (from a Session it was handed, or from its own
 * state) adds them to rooms of their gate and pushes to a room, each an RPC to the gate node that owns the
 * connections (the gate's `JoinRoom`, `LeaveRoom`, `RoomPush`, `RoomSize`). Rooms live in a gate: with
 * several gates, a room is the union of its parts, and a push without a gate goes to every gate node.
 */
import { ConfigError } from "../errors.js";
import type { PushDescriptor, RpcCaller } from "../descriptor.js";
import { TraceSpan } from "../rpc/trace.js";

/** Finds the gate nodes (an App has it; a bare RpcCaller can be given the gates explicitly). */
export interface GateDirectory {
  getServersByType(type: string): Promise<readonly { readonly id: string }[]>;
}

export interface GateRoomsOptions {
  /** Module type of the gates (default `Gate`). */
  readonly gateType?: string;
}

export interface RoomTarget {
  /** The gate node (`Gate@<16 hex>`, a Session's `serverId`); without it every gate node of the type. */
  readonly gate?: string;
}

const utf8Encoder = new TextEncoder();

function idList(sessionIds: readonly string[] | string): string {
  return typeof sessionIds === "string" ? sessionIds : sessionIds.join(",");
}

export class GateRooms {
  readonly #caller: RpcCaller & Partial<GateDirectory>;
  readonly #gateType: string;

  constructor(caller: RpcCaller & Partial<GateDirectory>, options: GateRoomsOptions = {}) {
    this.#caller = caller;
    this.#gateType = options.gateType ?? "Gate";
  }

  /** Adds sessions of one gate to a room; resolves with how many were connected there. */
  async join(gate: string, sessionIds: readonly string[] | string, room: string): Promise<number> {
    return Number(await this.#caller.call(gate, "JoinRoom", [TraceSpan.create(), idList(sessionIds), room]));
  }

  /** Removes sessions of one gate from a room; resolves with how many were in it. */
  async leave(gate: string, sessionIds: readonly string[] | string, room: string): Promise<number> {
    return Number(await this.#caller.call(gate, "LeaveRoom", [TraceSpan.create(), idList(sessionIds), room]));
  }

  /** One message to every member of a room: one RPC per gate, whatever the room's size. Resolves with the count. */
  async push(room: string, topic: string, body: Uint8Array | string, target: RoomTarget = {}): Promise<number> {
    const bytes = typeof body === "string" ? utf8Encoder.encode(body) : body;
    const counts = await Promise.all(
      (await this.gates(target)).map((gate) => this.#caller.call(gate, "RoomPush", [TraceSpan.create(), room, topic, bytes])),
    );
    return counts.reduce<number>((sum, count) => sum + Number(count), 0);
  }

  /**
   * A typed push: a schema's push (`chat.pushes.message`) gives the topic and the codec, so members get what
   * the generated gate client's `on…` listener decodes.
   */
  pushTyped<T>(room: string, push: PushDescriptor, value: T, target: RoomTarget = {}): Promise<number> {
    return this.push(room, push.topic, (push.codec as PushDescriptor["codec"]).encode(value), target);
  }

  /** Like push, without waiting for the gates' answers (fire and forget). */
  async pushNR(room: string, topic: string, body: Uint8Array | string, target: RoomTarget = {}): Promise<void> {
    const bytes = typeof body === "string" ? utf8Encoder.encode(body) : body;
    await Promise.all((await this.gates(target)).map((gate) => this.#caller.callNR(gate, "RoomPush", [TraceSpan.create(), room, topic, bytes])));
  }

  /** Members of a room, over the given gate or all of them. */
  async size(room: string, target: RoomTarget = {}): Promise<number> {
    const counts = await Promise.all((await this.gates(target)).map((gate) => this.#caller.call(gate, "RoomSize", [TraceSpan.create(), room])));
    return counts.reduce<number>((sum, count) => sum + Number(count), 0);
  }

  /** The gate node ids a call with this target goes to. */
  async gates(target: RoomTarget = {}): Promise<string[]> {
    if (target.gate !== undefined) return [target.gate];
    const directory = this.#caller.getServersByType;
    if (directory === undefined) throw new ConfigError("GateRooms needs a gate node id when its caller cannot list servers");
    return (await directory.call(this.#caller, this.#gateType)).map((node) => node.id);
  }
}

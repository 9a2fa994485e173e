/**
 * Typed pushes from any module in any process to gate clients, on mqant's session RPCs to the gate that
 * owns each connection: one session (`Send`), several (`SendBatch`, one call per owning gate), or every
 * connection of every gate (`BroadCast` to each gate node). Generated `<Module>Pushes` classes reach it
 * through `app.sendPush` with the schema's push descriptor, so the payload is the push message's JSON as
 * the gate client decodes.
 */
import type { PushDescriptor, RpcCaller } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import type { ServiceNode } from "../registry/types.js";
import { TraceSpan } from "../rpc/trace.js";

/**
 * Who gets a push: one session, several, every connection of every gate of `gateType` (default "Gate"), or
 * the sessions bound (Session.bind) to a user id or to any of several, on any gate of `gateType`.
 */
/**
 * What a push needs of a gate `Session`: its gate, its id, and the gate's Send/SendBatch. Structural, so the
 * app (which sends pushes) does not depend on the gate room that depends on it.
 */
export interface PushSession {
  readonly serverId: string;
  readonly sessionId: string;
  send(topic: string, body: Uint8Array): Promise<void>;
  sendBatch(sessionIds: readonly string[], topic: string, body: Uint8Array): Promise<number>;
}

export type PushTarget =
  | PushSession
  | readonly PushSession[]
  | { readonly everyone: true; readonly gateType?: string }
  | { readonly userId: string | readonly string[]; readonly gateType?: string };

/** Comma-separated on the wire (as SendBatch's session ids), so an id with a comma cannot be addressed. */
function userIdsOf(target: { readonly userId: string | readonly string[] }, push: PushDescriptor): string {
  const ids = typeof target.userId === "string" ? [target.userId] : [...target.userId];
  for (const id of ids) {
    if (typeof id !== "string" || id === "" || id.includes(",")) {
      throw new BadArgumentError(`push ${push.name}: a user id must be a non-empty string without commas, got ${JSON.stringify(id)}`);
    }
  }
  return ids.join(",");
}

/** What sending needs of the app: calls, and the gate nodes for `everyone` and `userId`. */
export interface PushRoutes extends Pick<RpcCaller, "call"> {
  getServersByType(type: string): Promise<readonly ServiceNode[]>;
}

/** What a generated `<Module>Pushes` class is given: the app (or anything that sends pushes as it does). */
export interface PushSender {
  /** Sends `value` as `push` to `target`; resolves with the number of connections the gates handed it to. */
  sendPush(push: PushDescriptor, target: PushTarget, value: unknown): Promise<number>;
}

function countOf(value: unknown): number {
  return typeof value === "bigint" ? Number(value) : typeof value === "number" ? value : 0;
}

/** Sends `value` as `push` to `target`; resolves with the number of connections the gates handed it to. */
export async function sendPush(app: PushRoutes, push: PushDescriptor, target: PushTarget, value: unknown): Promise<number> {
  const body = push.codec.encode(value);
  if (Array.isArray(target)) {
    const byGate = new Map<string, { via: PushSession; ids: string[] }>();
    for (const session of target as readonly PushSession[]) {
      const group = byGate.get(session.serverId);
      if (group === undefined) byGate.set(session.serverId, { via: session, ids: [session.sessionId] });
      else group.ids.push(session.sessionId);
    }
    const counts = await Promise.all([...byGate.values()].map(({ via, ids }) => via.sendBatch(ids, push.topic, body)));
    return counts.reduce((a, b) => a + b, 0);
  }
  const everyone = typeof target === "object" && target !== null && (target as { everyone?: unknown }).everyone === true;
  const users = typeof target === "object" && target !== null && "userId" in target && typeof (target as { send?: unknown }).send !== "function";
  if (everyone || users) {
    const userIds = users ? userIdsOf(target as { userId: string | readonly string[] }, push) : "";
    const gateType = (target as { gateType?: string }).gateType ?? "Gate";
    const gates = await app.getServersByType(gateType);
    const counts = await Promise.all(
      gates.map((gate) =>
        users
          ? app.call(gate.id, "SendToUsers", [TraceSpan.create(), userIds, push.topic, body])
          : app.call(gate.id, "BroadCast", [TraceSpan.create(), push.topic, body]),
      ),
    );
    return counts.reduce<number>((sum, c) => sum + countOf(c), 0);
  }
  const session = target as PushSession;
  if (typeof session?.send !== "function") throw new BadArgumentError(`push ${push.name}: target must be a session, a list of sessions, { userId } or { everyone: true }`);
  await session.send(push.topic, body);
  return 1;
}

/**
 * The calls a NATS transport waits on, by Cid. See PendingCalls for why this is a ring and not a Map.
 */
import type { ResultInfo, RPCInfo } from "../codec/envelope.js";
import { cidNumber } from "../codec/ids.js";

/**
 * Turns a reply into the call's value inside the subscription callback, so the caller's continuation is
 * the next microtask (each extra hop splits nats.js's write batching).
 */
export interface ReplyHandler<T> {
  /** The call's value; throw to fail the call, or return a promise (e.g. a retry) to resolve with. */
  onReply(reply: ResultInfo): T | Promise<T>;
  /** The call failed before a reply: a promise to resolve with instead (a retry), or undefined to reject. */
  onError(error: Error): Promise<T> | undefined;
}

/** A pending call's key: its Cid's counter when newCid() made it, else the Cid itself. */
export type CallKey = number | string;

export function callKey(cid: string): CallKey {
  const number = cidNumber(cid);
  return number >= 0 ? number : cid;
}

const SLOTS_MIN = 256;
const SLOTS_MAX = 8192;

/**
 * The pending calls of one transport, by key. Calls with a counter key sit in a ring indexed by the counter
 * (calls in flight at once have nearby counters); the rest (other Cids, a call outlived by a whole ring of
 * newer ones, or an earlier call with the same Cid) in a Map of lists, oldest first.
 *
 * Not a Map for everything: a Map with calls coming and going rehashes its table every few dozen calls,
 * and an outgrown table keeps pointing to its entries and to the next table. Once one of those tables
 * is promoted to the old generation (an idle moment between two scavenges is enough), each dead table
 * keeps the next one, and every call it lists, alive through the following scavenges: all per-call
 * state is then promoted, which took client CPU per call from about 4 to over 6 µs until the process
 * ended. The ring is one array that lives as long as the transport, so nothing chains.
 *
 * Calls sharing a Cid (a caller that sends one request object twice) each stay pending until answered or
 * expired; replies go to them oldest first, as the server answers them in order.
 */
export class PendingCalls {
  private slots: (PendingCall | undefined)[] = new Array<PendingCall | undefined>(SLOTS_MIN).fill(undefined);
  private mask = SLOTS_MIN - 1;
  private readonly others = new Map<CallKey, PendingCall[]>();
  size = 0;

  get(key: CallKey): PendingCall | undefined {
    if (typeof key === "number") {
      const call = this.slots[key & this.mask];
      const inRing = call !== undefined && call.key === key ? call : undefined;
      if (this.others.size === 0) return inRing;
      return this.others.get(key)?.[0] ?? inRing;
    }
    return this.others.get(key)?.[0];
  }

  add(call: PendingCall): void {
    this.size++;
    this.place(call);
  }

  /** Puts a pending call (already counted in `size`) into the ring or the Map. */
  private place(call: PendingCall): void {
    const key = call.key;
    if (typeof key !== "number") {
      this.addOther(call);
      return;
    }
    const index = key & this.mask;
    const occupant = this.slots[index];
    if (occupant !== undefined) {
      if (occupant.key !== key && this.slots.length < SLOTS_MAX) {
        this.grow();
        this.place(call);
        return;
      }
      // Still pending, so it moves to the Map; with the same key it is the older call and answers first.
      this.addOther(occupant);
    }
    this.slots[index] = call;
  }

  /** Removes `call`; false when it is no longer pending. */
  remove(call: PendingCall): boolean {
    const key = call.key;
    if (typeof key === "number") {
      const index = key & this.mask;
      if (this.slots[index] === call) {
        this.slots[index] = undefined;
        this.size--;
        return true;
      }
    }
    const list = this.others.get(key);
    const at = list === undefined ? -1 : list.indexOf(call);
    if (at < 0) return false;
    if (list!.length === 1) this.others.delete(key);
    else list!.splice(at, 1);
    this.size--;
    return true;
  }

  /** A snapshot, so callers may settle calls while going through it. */
  values(): PendingCall[] {
    const out: PendingCall[] = [];
    if (this.size === 0) return out;
    for (const call of this.slots) if (call !== undefined) out.push(call);
    for (const list of this.others.values()) out.push(...list);
    return out;
  }

  private addOther(call: PendingCall): void {
    const list = this.others.get(call.key);
    if (list === undefined) this.others.set(call.key, [call]);
    else list.push(call);
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Array<PendingCall | undefined>(old.length * 2).fill(undefined);
    this.mask = this.slots.length - 1;
    for (const call of old) if (call !== undefined) this.place(call);
  }
}

export class PendingCall {
  resolve!: (value: unknown) => void;
  reject!: (error: Error) => void;
  handler!: ReplyHandler<unknown>;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Kept so a request refused during a reconnect can be sent again (see RECONNECT_GRACE_MS). */
  request!: RPCInfo;
  constructor(
    readonly key: CallKey,
    /** Names this call in the NATS reply subject, so a no-responders status finds it. */
    readonly token: number,
    readonly nodeId: string,
    readonly subject: string,
    readonly sentAt: number,
    readonly deadline: number,
  ) {}
}

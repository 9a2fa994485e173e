/**
 * RPC over NATS exactly as mqant does it: each module instance subscribes its own `_INBOX.<nuid>` subject
 * (its registry Address), requests carry their reply subject inside the protobuf payload, replies are
 * matched by Cid. A caller uses one reply subscription for all its calls.
 *
 * On top of that (invisible to Go mqant, which ignores the NATS reply field): every request is published
 * with reply subject `<status inbox>.<token>` (a per-call sequence number in base 36), and `<status
 * inbox>.*` is subscribed, so when the target node is gone nats-server answers at once with a 503
 * no-responders status and the call fails immediately instead of waiting for its deadline. nats-server
 * and both clients parse that subject on every call, so it is kept short: `_INBOX.` and 12 random
 * characters rather than a 22-character NUID.
 */
import { connect, createInbox, type NatsConnection, type Msg, type Subscription } from "nats";
import type { Logger } from "pino";
import { ClosedError, DeadlineExceededError, AbortedError, NoneAvailableError } from "../errors.js";
import type { RpcServer, WireResponder } from "../rpc/server.js";
import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  sizeReply,
  sizeRequest,
  writeReply,
  writeRequest,
  type RpcReply,
  type RpcRequest,
} from "./wire.js";
import { slabAllocator } from "../rpc/slab.js";
import { cidNumber } from "../rpc/ids.js";
import { NatsSubjectCheck, type SubjectPresence } from "../selector/nats-probe.js";

/** The callee node disappeared: nothing is subscribed to its subject (NATS no-responders). */
export class NodeGoneError extends NoneAvailableError {
  readonly nodeId: string;
  /**
   * False when NATS refused this very request (it never reached a handler, so any call may be retried);
   * true when the node vanished after the request reached it (only retry-safe calls may be retried).
   */
  readonly delivered: boolean;
  constructor(nodeId: string, delivered = false) {
    super(`none available: node ${nodeId} is gone (no responders)`);
    this.nodeId = nodeId;
    this.delivered = delivered;
  }
}

/**
 * A call in flight when a connection on its way was lost: this process's own connection to NATS, or the
 * callee's (it reconnected after the call was sent). The request or its reply may be lost, and the
 * handler may or may not have run: retry-safe calls are sent again, the others fail with this error.
 */
export class CallInterruptedError extends NodeGoneError {
  constructor(nodeId: string, reason: string) {
    super(nodeId, true);
    this.message = `call to ${nodeId} interrupted: ${reason}; it may or may not have run`;
  }
}

/**
 * Calls older than this make the transport check that their node still exists. 500 + 100 keeps a killed
 * node's waiting calls failing (and leaving routing) well inside a second.
 */
const PROBE_AFTER_MS = 500;
const PROBE_EVERY_MS = 100;

/**
 * Right after this connection reconnected, "no responders" usually means the node has not re-subscribed
 * yet (it reconnects on its own schedule), not that it is gone: within this window such a request is sent
 * again after RESEND_AFTER_MS until its deadline instead of failing, and the node keeps its place in routing.
 */
const RECONNECT_GRACE_MS = 3000;
const RESEND_AFTER_MS = 50;

export interface NatsConnectOptions {
  readonly servers: string | string[];
  /** Delay between reconnect attempts (ms); attempts never stop. */
  readonly reconnectTimeWaitMs?: number;
  readonly name?: string;
}

/** Connects with mqgen's defaults: reconnect forever (nats.js stops after 10 attempts by default). */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  return connect({
    servers: options.servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
    reconnectJitter: 100,
    waitOnFirstConnect: true,
    pingInterval: 10_000,
    maxPingOut: 3,
  });
}

/**
 * Turns a reply into the call's value inside the subscription callback, so the caller's continuation is
 * the next microtask (each extra hop splits nats.js's write batching).
 */
export interface ReplyHandler<T> {
  /** The call's value; throw to fail the call, or return a promise (e.g. a retry) to resolve with. */
  onReply(reply: RpcReply): T | Promise<T>;
  /** The call failed before a reply: a promise to resolve with instead (a retry), or undefined to reject. */
  onError(error: Error): Promise<T> | undefined;
}

const RAW_REPLY: ReplyHandler<RpcReply> = {
  onReply: (reply) => reply,
  onError: () => undefined,
};

/** A pending call's key: its Cid's counter when newCid() made it, else the Cid itself. */
type CallKey = number | string;

function callKey(cid: string): CallKey {
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
class PendingCalls {
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

class PendingCall {
  resolve!: (value: unknown) => void;
  reject!: (error: Error) => void;
  handler!: ReplyHandler<unknown>;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Kept so a request refused during a reconnect can be sent again (see RECONNECT_GRACE_MS). */
  request!: RpcRequest;
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

function expireDue(transport: NatsTransport): void {
  transport.expireDue();
}

/**
 * The parts of nats.js's protocol handler that publish() itself uses. publish() builds its `PUB` line as a
 * string, TextEncodes it and queues three buffers; an RPC call publishes twice, so mqgen writes the same
 * bytes (`PUB <subject> [<reply>] <size>\r\n<payload>\r\n`) into one buffer, the envelope encoded straight
 * into it, and queues that. Anything unusual (no such internals in this nats.js, closed or draining
 * connection, non-ASCII subjects, payloads over the server's limit) takes nc.publish(), so its checks and
 * errors still apply.
 */
interface ProtocolInternals {
  sendCommand(command: Uint8Array): void;
  outBytes: number;
  outMsgs: number;
  noMorePublishing?: boolean;
  info?: { max_payload?: number };
}

function protocolOf(nc: NatsConnection): ProtocolInternals | undefined {
  const protocol = (nc as unknown as { protocol?: Partial<ProtocolInternals> }).protocol;
  if (protocol === undefined || typeof protocol.sendCommand !== "function") return undefined;
  if (typeof protocol.outBytes !== "number" || typeof protocol.outMsgs !== "number") return undefined;
  return protocol as ProtocolInternals;
}

/** PUB frames up to 4 KiB are cut from 64 KiB slabs; a queued frame is never overwritten. */
const allocate = slabAllocator(64 * 1024, 4096);

/**
 * Starts of PUB lines by subject, `PUB <subject> ` or `PUB <subject> <reply prefix>` for one reply prefix
 * (node addresses and reply inboxes repeat call after call); null when a subject is not ASCII.
 */
type Heads = Map<string, Uint8Array | null>;
const HEAD_CACHE_LIMIT = 1024;
/** Heads without a reply subject (replies, fire-and-forget requests). */
const plainHeads: Heads = new Map();

function buildHead(subject: string, replyPrefix: string): Uint8Array | null {
  const replyLength = replyPrefix === "" ? 0 : replyPrefix.length;
  const head = new Uint8Array(4 + subject.length + 1 + replyLength);
  head.set([0x50, 0x55, 0x42, 0x20]);
  let pos = 4;
  for (const text of replyPrefix === "" ? [subject] : [subject, " ", replyPrefix]) {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return null;
      head[pos++] = code;
    }
  }
  if (replyPrefix === "") head[pos] = 0x20;
  return head;
}

function headOf(heads: Heads, subject: string, replyPrefix: string): Uint8Array | null {
  let head = heads.get(subject);
  if (head === undefined) {
    head = subject === "" ? null : buildHead(subject, replyPrefix);
    if (heads.size >= HEAD_CACHE_LIMIT) heads.clear();
    heads.set(subject, head);
  }
  return head;
}

function digitCount(value: number, radix: number): number {
  let count = 1;
  while (value >= radix) {
    value = Math.floor(value / radix);
    count++;
  }
  return count;
}

/** Writes `value` in base `radix` (10 or 36, lower-case letters) so that it ends just before `end`. */
function writeDigits(buf: Uint8Array, end: number, value: number, radix: number): void {
  let pos = end;
  do {
    const digit = value % radix;
    buf[--pos] = digit < 10 ? 0x30 + digit : 0x57 + digit;
    value = Math.floor(value / radix);
  } while (value > 0);
}

const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * The subject calls' no-responders statuses come back on: `_INBOX.` (the prefix NATS permissions usually
 * open for replies) and 12 random alphanumerics, 71 bits, ample to stay unique on one NATS system.
 */
function newStatusInbox(): string {
  let out = "_INBOX.";
  const bytes = new Uint8Array(16);
  while (out.length < 19) {
    globalThis.crypto.getRandomValues(bytes);
    // 248 = 4 × 62: bytes above it are dropped so every character is equally likely.
    for (const byte of bytes) if (byte < 248 && out.length < 19) out += ALPHANUMERIC[byte % 62];
  }
  return out;
}

function parseToken(token: string): number {
  return /^[0-9a-z]{1,10}$/.test(token) ? parseInt(token, 36) : -1;
}

/** Where the payload starts in the frame openFrame() returned last. */
let payloadAt = 0;

/**
 * A frame for a `size`-byte payload with its PUB line written, or undefined when nc.publish() must send it.
 * With `hasReply`, the head ends in a reply prefix, which `replyToken` (when not negative) completes.
 */
function openFrame(
  nc: NatsConnection,
  protocol: ProtocolInternals | undefined,
  head: Uint8Array | null,
  hasReply: boolean,
  replyToken: number,
  size: number,
): Uint8Array | undefined {
  if (protocol === undefined || head === null || nc.isClosed() || protocol.noMorePublishing === true) return undefined;
  const maxPayload = protocol.info?.max_payload;
  if (maxPayload !== undefined && size > maxPayload) return undefined;
  const tokenDigits = replyToken >= 0 ? digitCount(replyToken, 36) : 0;
  const sizeDigits = digitCount(size, 10);
  // Head, token, " " after a reply subject (a head without one ends in its space already), size, CRLF.
  const lineLength = head.length + (hasReply ? tokenDigits + 1 : 0) + sizeDigits + 2;
  const frame = allocate(lineLength + size + 2);
  frame.set(head);
  let pos = head.length;
  if (hasReply) {
    if (replyToken >= 0) {
      pos += tokenDigits;
      writeDigits(frame, pos, replyToken, 36);
    }
    frame[pos++] = 0x20;
  }
  pos += sizeDigits;
  writeDigits(frame, pos, size, 10);
  frame[pos++] = 0x0d;
  frame[pos++] = 0x0a;
  payloadAt = pos;
  return frame;
}

function sendFrame(protocol: ProtocolInternals, frame: Uint8Array, size: number): void {
  frame[frame.length - 2] = 0x0d;
  frame[frame.length - 1] = 0x0a;
  protocol.outBytes += size;
  protocol.outMsgs++;
  protocol.sendCommand(frame);
}

/**
 * Publishes a request as nc.publish(subject, encodeRequest(req), { reply }) does, the reply subject being
 * `replyPrefix` followed by `replyToken`; no reply subject when `replyPrefix` is empty. `heads` caches PUB
 * line starts for this reply prefix.
 */
function publishRequest(
  nc: NatsConnection,
  protocol: ProtocolInternals | undefined,
  heads: Heads,
  subject: string,
  replyPrefix: string,
  replyToken: number,
  req: RpcRequest,
): void {
  const size = sizeRequest(req);
  const hasReply = replyPrefix !== "";
  const frame = openFrame(nc, protocol, headOf(heads, subject, replyPrefix), hasReply, replyToken, size);
  if (frame === undefined) {
    const reply = !hasReply ? undefined : replyToken >= 0 ? replyPrefix + replyToken.toString(36) : replyPrefix;
    nc.publish(subject, encodeRequest(req), reply === undefined ? undefined : { reply });
    return;
  }
  writeRequest(req, frame, payloadAt);
  sendFrame(protocol as ProtocolInternals, frame, size);
}

/** Publishes a reply as nc.publish(replyTo, encodeReply(reply)) does. */
function publishReply(nc: NatsConnection, protocol: ProtocolInternals | undefined, replyTo: string, reply: RpcReply): void {
  const size = sizeReply(reply);
  const frame = openFrame(nc, protocol, headOf(plainHeads, replyTo, ""), false, -1, size);
  if (frame === undefined) {
    nc.publish(replyTo, encodeReply(reply));
    return;
  }
  writeReply(reply, frame, payloadAt);
  sendFrame(protocol as ProtocolInternals, frame, size);
}

const utf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);

export class NatsTransport {
  readonly inbox: string;
  private readonly pending = new PendingCalls();
  private tokenSeq = 0;
  private readonly statusPrefix: string;
  /** PUB line starts with this transport's reply prefix. */
  private readonly requestHeads: Heads = new Map();
  private readonly protocol: ProtocolInternals | undefined;
  /**
   * One timer for every call's deadline, armed for the earliest one when a call is sent (it may fire for
   * a call that already settled; it then re-arms for the earliest pending one): a timer per call cost more
   * than the rest of the call's bookkeeping. Unref'd: a pending call keeps the process alive through its
   * NATS connection, and close() fails every pending call.
   */
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineArmedFor = Number.POSITIVE_INFINITY;
  private readonly subscriptions: Subscription[] = [];
  private readonly served = new Map<string, Subscription>();
  /** Probe token → the node it checks. */
  private readonly probes = new Map<string, { nodeId: string; subject: string; sentAt: number }>();
  private probeSeq = 0;
  private readonly prober: NodeJS.Timeout;
  private closed = false;
  private reconnectedAt = Number.NEGATIVE_INFINITY;
  /** Asks nats-server whether a node's subject is subscribed (see probe()). */
  private readonly presence: NatsSubjectCheck;

  constructor(
    readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly onNodeGone: (nodeId: string) => void,
  ) {
    this.inbox = createInbox();
    this.statusPrefix = `${newStatusInbox()}.`;
    this.protocol = protocolOf(nc);
    this.presence = new NatsSubjectCheck(nc, { timeoutMs: 250 });
    this.subscriptions.push(
      nc.subscribe(this.inbox, {
        callback: (err, msg) => {
          if (err === null) this.onReply(msg);
        },
      }),
      nc.subscribe(`${this.statusPrefix}*`, {
        callback: (err, msg) => {
          if (err === null) this.onStatus(msg);
        },
      }),
    );
    this.prober = setInterval(() => this.probe(), PROBE_EVERY_MS);
    this.prober.unref();
    void this.watchReconnects();
  }

  private async watchReconnects(): Promise<void> {
    try {
      for await (const status of this.nc.status()) {
        if (status.type === "reconnect") {
          this.reconnectedAt = Date.now();
          this.interruptPending(this.reconnectedAt, "this process's connection to NATS was lost");
        }
      }
    } catch (err) {
      this.log.debug({ err }, "rpc: NATS status stream ended");
    }
  }

  private inReconnectGrace(): boolean {
    return Date.now() - this.reconnectedAt < RECONNECT_GRACE_MS;
  }

  /** Sends a still-pending request again (same Cid and token), unless its deadline is too close. */
  private resendSoon(call: PendingCall): void {
    if (call.deadline - Date.now() <= RESEND_AFTER_MS) return;
    setTimeout(() => {
      if (this.closed || this.pending.get(call.key) !== call) return;
      try {
        publishRequest(this.nc, this.protocol, this.requestHeads, call.subject, this.statusPrefix, call.token, call.request);
      } catch (err) {
        this.settleError(call, err instanceof Error && this.nc.isClosed() ? new ClosedError() : (err as Error));
      }
    }, RESEND_AFTER_MS).unref();
  }

  /**
   * Every call sent before this connection reconnected: its request or reply may be gone with the old
   * server. Once the new server has confirmed this connection's subscriptions (a flush), so replies to a
   * resent request cannot miss them, retry-safe calls are sent again and the others fail now with a clear
   * error instead of waiting for their deadline. A reply that makes it meanwhile still settles its call.
   */
  private interruptPending(before: number, reason: string): void {
    if (this.closed) return;
    const interrupt = (): void => {
      for (const call of this.pending.values()) {
        if (call.sentAt < before) this.settleError(call, new CallInterruptedError(call.nodeId, reason));
      }
    };
    this.nc.flush().then(interrupt, interrupt);
  }

  /**
   * A node killed mid-call never answers, and with no new request to its subject NATS never says so. So a
   * call waiting longer than PROBE_AFTER_MS makes the transport ask nats-server whether the node's subject
   * is still subscribed (NatsSubjectCheck: never a message to the node, so a Go mqant node logs nothing,
   * and a wildcard subscriber cannot pass for the node). Gone: every call waiting on it fails now
   * (retry-safe ones are retried elsewhere). Subscribed again by a connection newer than a call: that call's
   * request or reply may have been lost in the node's reconnect, and it is interrupted likewise. Where the
   * server does not answer that question, an empty message with a reply subject asks the old way
   * (no-responders means gone; a Go mqant node logs a warning for it).
   */
  private probe(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const [token, probe] of this.probes) if (now - probe.sentAt > 5000) this.probes.delete(token);
    if (this.pending.size === 0) return;
    const due = new Map<string, string>();
    for (const call of this.pending.values()) {
      if (now - call.sentAt > PROBE_AFTER_MS) due.set(call.subject, call.nodeId);
    }
    for (const probe of this.probes.values()) {
      if (now - probe.sentAt < PROBE_AFTER_MS) due.delete(probe.subject);
    }
    for (const [subject, nodeId] of due) {
      // "_" keeps probe tokens apart from the calls' base-36 ones.
      const token = `_${++this.probeSeq}`;
      this.probes.set(token, { nodeId, subject, sentAt: now });
      this.presence.check(subject).then(
        (presence) => this.onPresence(token, nodeId, subject, presence),
        () => this.onPresence(token, nodeId, subject, { state: "unknown" }),
      );
    }
  }

  private onPresence(token: string, nodeId: string, subject: string, presence: SubjectPresence): void {
    if (this.closed) return;
    if (presence.state === "absent") {
      this.probes.delete(token);
      // During our own reconnect the next probe asks again; the calls keep waiting meanwhile.
      if (!this.inReconnectGrace()) this.nodeGone(nodeId, subject);
      return;
    }
    if (presence.state === "present") {
      // The probe's entry stays: it keeps the subject from being asked again before PROBE_AFTER_MS.
      const since = presence.connectedAt ?? 0;
      for (const call of this.pending.values()) {
        if (call.subject === subject && call.sentAt < since) {
          this.settleError(call, new CallInterruptedError(nodeId, "the node reconnected to NATS while the call was in flight"));
        }
      }
      return;
    }
    try {
      this.nc.publish(subject, EMPTY, { reply: this.statusPrefix + token });
    } catch {
      this.probes.delete(token);
    }
  }

  /** A fresh node subject, as mqant's nats.NewInbox(). */
  static newAddress(): string {
    return createInbox();
  }

  private onReply(msg: Msg): void {
    let reply: RpcReply;
    try {
      reply = decodeReply(msg.data);
    } catch (err) {
      this.log.warn({ err }, `rpc: undecodable reply on ${msg.subject} dropped`);
      return;
    }
    const call = this.pending.get(callKey(reply.cid));
    if (call === undefined) {
      this.log.debug(`rpc callback no found : [${reply.cid}]`);
      return;
    }
    this.forget(call);
    let value: unknown;
    try {
      value = call.handler.onReply(reply);
    } catch (err) {
      call.reject(err as Error);
      return;
    }
    call.resolve(value);
  }

  private onStatus(msg: Msg): void {
    if (msg.headers?.code !== 503) return;
    const token = msg.subject.slice(this.statusPrefix.length);
    const probe = this.probes.get(token);
    if (probe !== undefined) {
      this.probes.delete(token);
      // During a reconnect the next probe asks again; the calls keep waiting meanwhile.
      if (!this.inReconnectGrace()) this.nodeGone(probe.nodeId, probe.subject);
      return;
    }
    // No-responders is rare (a node just vanished), so a scan beats a second map kept up on every call.
    const tokenNumber = parseToken(token);
    let call: PendingCall | undefined;
    for (const pending of this.pending.values()) {
      if (pending.token === tokenNumber) {
        call = pending;
        break;
      }
    }
    if (call === undefined) return;
    if (this.inReconnectGrace()) {
      this.resendSoon(call);
      return;
    }
    this.settleError(call, new NodeGoneError(call.nodeId, false));
    this.nodeGone(call.nodeId, call.subject);
  }

  /** Every call still waiting on a vanished node fails now. */
  private nodeGone(nodeId: string, subject: string): void {
    this.onNodeGone(nodeId);
    for (const call of this.pending.values()) {
      if (call.subject === subject) this.settleError(call, new NodeGoneError(nodeId, true));
    }
  }

  /** Fails a call unless it has settled already. */
  private settleError(call: PendingCall, error: Error): void {
    if (!this.forget(call)) return;
    let instead: Promise<unknown> | undefined;
    try {
      instead = call.handler.onError(error);
    } catch (err) {
      call.reject(err as Error);
      return;
    }
    if (instead === undefined) call.reject(error);
    else call.resolve(instead);
  }

  /** Drops a call from the pending ones; false when it was not pending (settled already). */
  private forget(call: PendingCall): boolean {
    if (!this.pending.remove(call)) return false;
    if (call.onAbort !== undefined) call.signal?.removeEventListener("abort", call.onAbort);
    // The deadline timer stays armed when its call settles: re-arming it per call would cost two timer
    // operations per call at low concurrency; when it fires early it only re-arms for the next deadline.
    return true;
  }

  private armDeadline(deadline: number, now: number): void {
    if (deadline >= this.deadlineArmedFor) return;
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineArmedFor = deadline;
    this.deadlineTimer = setTimeout(expireDue, Math.max(0, deadline - now), this);
    this.deadlineTimer.unref();
  }

  /** @internal The deadline timer fired: fail every call past its deadline, re-arm for the next one. */
  expireDue(): void {
    this.deadlineTimer = undefined;
    this.deadlineArmedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    let due: PendingCall[] | undefined;
    for (const call of this.pending.values()) {
      if (call.deadline <= now) (due ??= []).push(call);
      else if (call.deadline < next) next = call.deadline;
    }
    if (due !== undefined) for (const call of due) this.settleError(call, new DeadlineExceededError());
    if (next !== Number.POSITIVE_INFINITY && this.pending.size > 0) this.armDeadline(next, Date.now());
  }

  /** Sends a request and waits for its reply until `deadline` (unix ms). */
  request(subject: string, nodeId: string, req: RpcRequest, deadline: number, signal: AbortSignal | undefined): Promise<RpcReply> {
    return this.requestWith(subject, nodeId, req, deadline, signal, RAW_REPLY);
  }

  /** As request(), with the reply turned into the call's value by `handler`. */
  requestWith<T>(
    subject: string,
    nodeId: string,
    req: RpcRequest,
    deadline: number,
    signal: AbortSignal | undefined,
    handler: ReplyHandler<T>,
    /** The caller's clock reading, when it just took one for the deadline. */
    now: number = Date.now(),
  ): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError());
    if (signal?.aborted) return Promise.reject(new AbortedError());
    req.replyTo = this.inbox;
    req.reply = true;
    const token = ++this.tokenSeq;
    const key = callKey(req.cid);
    const call = new PendingCall(key, token, nodeId, subject, now, deadline);
    call.handler = handler as ReplyHandler<unknown>;
    call.request = req;
    const promise = new Promise<T>((resolve, reject) => {
      call.resolve = resolve as (value: unknown) => void;
      call.reject = reject;
    });
    this.pending.add(call);
    this.armDeadline(deadline, now);
    if (signal !== undefined) {
      call.signal = signal;
      call.onAbort = () => this.settleError(call, new AbortedError());
      signal.addEventListener("abort", call.onAbort, { once: true });
    }
    try {
      publishRequest(this.nc, this.protocol, this.requestHeads, subject, this.statusPrefix, token, req);
    } catch (err) {
      this.settleError(call, err instanceof Error && this.nc.isClosed() ? new ClosedError() : (err as Error));
    }
    return promise;
  }

  /** Fire-and-forget (Reply=false, no ReplyTo), as mqant CallNR. */
  publishNR(subject: string, req: RpcRequest): void {
    if (this.closed) throw new ClosedError();
    req.replyTo = "";
    req.reply = false;
    publishRequest(this.nc, this.protocol, plainHeads, subject, "", -1, req);
  }

  /** Subscribes a module instance's subject and feeds its server. */
  serve(address: string, server: RpcServer): void {
    const nc = this.nc;
    const protocol = this.protocol;
    const log = this.log;
    const respond: WireResponder = (replyTo, reply) => {
      if (replyTo === "" || nc.isClosed()) return;
      try {
        publishReply(nc, protocol, replyTo, reply);
      } catch (err) {
        log.warn({ err }, `rpc: reply to ${replyTo} not sent`);
      }
    };
    const sub = nc.subscribe(address, {
      callback: (err, msg) => {
        if (err !== null) {
          log.warn({ err }, `rpc: subscription ${address} error`);
          return;
        }
        // Liveness probes from callers (see probe()) carry no payload.
        if (msg.data.length === 0) return;
        let req: RpcRequest;
        try {
          req = decodeRequest(msg.data);
        } catch (error) {
          log.warn(
            { err: error, bytes: msg.data.length, preview: utf8.decode(msg.data.subarray(0, 32)) },
            `rpc: undecodable request on ${address} for ${server.nodeId} dropped`,
          );
          return;
        }
        try {
          server.handleWire(req, respond);
        } catch (error) {
          log.error({ err: error }, `rpc: request ${req.fn} on ${server.nodeId} failed before dispatch`);
        }
      },
    });
    this.served.set(address, sub);
  }

  /** Stops receiving calls for a node (stop taking calls; in-flight ones still reply). */
  unserve(address: string): void {
    this.served.get(address)?.unsubscribe();
    this.served.delete(address);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Fails every pending call with ClosedError and drops the subscriptions. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.prober);
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    for (const sub of this.served.values()) sub.unsubscribe();
    this.served.clear();
    for (const sub of this.subscriptions) sub.unsubscribe();
    for (const call of this.pending.values()) this.settleError(call, new ClosedError());
  }
}

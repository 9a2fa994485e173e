/**
 * RPC over NATS exactly as mqant does it: each module instance subscribes its own `_INBOX.<nuid>` subject
 * (its registry Address), requests carry their reply subject inside the protobuf payload, replies are
 * matched by Cid. A caller uses one reply subscription for all its calls.
 *
 * On top of that (invisible to Go mqant, which ignores the NATS reply field): every request is published
 * with reply subject `<status inbox>.<token>` (a per-call sequence number in base 36), and `<status
 * inbox>.*` is subscribed, so when the target node is gone nats-server answers at once with a 503
 * no-responders status and the call fails immediately instead of waiting for its deadline (liveness.ts).
 * The pending calls (pending.ts), the PUB-frame writer (frame.ts), one write for many callbacks' frames
 * (coalesce.ts) and the reach into nats.js internals (nats-internals.ts) each live in their own file.
 */
import { createInbox, type NatsConnection, type Msg, type Subscription } from "nats";
import type { Logger } from "../log/types.js";
import { BadArgumentError, CallInterruptedError, ClosedError, DeadlineExceededError, AbortedError, NodeGoneError } from "../errors.js";
import type { Endpoint, WireResponder } from "./endpoint.js";
import { decodeResultInfo, decodeRPCInfo, type ResultInfo, type RPCInfo } from "../codec/envelope.js";
import { escapeForLog, previewBytes, ThrottledLog } from "../log/throttle.js";
import { protocolOf, socketOf, type ProtocolInternals } from "./nats-internals.js";
import { WriteCoalescer } from "./coalesce.js";
import { plainHeads, publishReply, publishRequest, type Heads } from "./frame.js";
import { timerDelay } from "./timer.js";
import { CANCEL_SUFFIX, cancelling, serveCancels } from "./cancel.js";
import { PendingCall, PendingCalls, callKey, type ReplyHandler } from "./pending.js";
import { PROBE_EVERY_MS, Probes, RECONNECT_GRACE_MS, RESEND_AFTER_MS, newStatusInbox, parseToken } from "./liveness.js";
import { NatsSubjectCheck, type SubjectPresence } from "./presence.js";

export type { ReplyHandler } from "./pending.js";

const RAW_REPLY: ReplyHandler<ResultInfo> = { onReply: (reply) => reply, onError: () => undefined };

function expireDue(transport: NatsTransport): void {
  transport.expireDue();
}

const EMPTY = new Uint8Array(0);

function badAddress(subject: string): BadArgumentError {
  return new BadArgumentError(`node address ${escapeForLog(subject)} is not a NATS subject`);
}

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
  private readonly probes = new Probes();
  /** Bad input from the wire (undecodable requests, unpublishable reply subjects), logged once per interval. */
  private readonly inputLog: ThrottledLog;
  private readonly prober: NodeJS.Timeout;
  private closed = false;
  private reconnectedAt = Number.NEGATIVE_INFINITY;
  /** Asks nats-server whether a node's subject is subscribed (see probe()). */
  private readonly presence: NatsSubjectCheck;
  private readonly coalescer = new WriteCoalescer(() => socketOf(this.nc));

  constructor(
    readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly onNodeGone: (nodeId: string) => void,
  ) {
    this.inbox = createInbox();
    this.statusPrefix = `${newStatusInbox()}.`;
    this.protocol = protocolOf(nc);
    this.inputLog = new ThrottledLog(log);
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
        this.send(call.subject, call.token, call.request);
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
   * is still subscribed (presence.ts: never a message to the node, so a Go mqant node logs nothing, and a
   * wildcard subscriber cannot pass for the node). Gone: every call waiting on it fails now (retry-safe
   * ones are retried elsewhere). Subscribed by a connection newer than a call: that call's request or reply
   * may have been lost in the node's reconnect, and it is interrupted likewise. Where the server does not
   * answer the question, an empty message with a reply subject asks the old way (no-responders means gone;
   * mqgen nodes ignore empty messages, a Go mqant node logs a warning for it).
   */
  private probe(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const [token, probe] of this.probes.due(this.pending.size === 0 ? [] : this.pending.values(), now)) {
      this.presence.check(probe.subject).then(
        (presence) => this.onPresence(token, probe.nodeId, probe.subject, presence),
        () => this.onPresence(token, probe.nodeId, probe.subject, { state: "unknown" }),
      );
    }
  }

  private onPresence(token: string, nodeId: string, subject: string, presence: SubjectPresence): void {
    if (this.closed) return;
    if (presence.state === "absent") {
      this.probes.forget(token);
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
      // A node address that is no NATS subject never got a request through either (publishRequest).
      this.nc.publish(subject, EMPTY, { reply: this.statusPrefix + token });
    } catch {
      this.probes.forget(token);
    }
  }

  /** A fresh node subject, as mqant's nats.NewInbox(). */
  static newAddress(): string {
    return createInbox();
  }

  private onReply(msg: Msg): void {
    let reply: ResultInfo;
    try {
      reply = decodeResultInfo(msg.data);
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
    const probe = this.probes.take(token);
    if (probe !== undefined) {
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
    this.deadlineTimer = setTimeout(expireDue, timerDelay(deadline, now), this);
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
  request(subject: string, nodeId: string, req: RPCInfo, deadline: number, signal: AbortSignal | undefined): Promise<ResultInfo> {
    return this.requestWith(subject, nodeId, req, deadline, signal, RAW_REPLY);
  }

  /** As request(), with the reply turned into the call's value by `handler`. */
  requestWith<T>(
    subject: string,
    nodeId: string,
    req: RPCInfo,
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
      call.onAbort = cancelling(this.nc, subject, req, this.log, () => this.settleError(call, new AbortedError()));
      signal.addEventListener("abort", call.onAbort, { once: true });
    }
    try {
      this.send(subject, token, req);
    } catch (err) {
      this.settleError(call, err instanceof Error && this.nc.isClosed() ? new ClosedError() : (err as Error));
    }
    return promise;
  }

  private send(subject: string, token: number, req: RPCInfo): void {
    if (!publishRequest(this.nc, this.protocol, this.requestHeads, subject, this.statusPrefix, token, req)) throw badAddress(subject);
    this.coalescer.written();
  }

  /** Fire-and-forget (Reply=false, no ReplyTo), as mqant CallNR. */
  publishNR(subject: string, req: RPCInfo): void {
    if (this.closed) throw new ClosedError();
    req.replyTo = "";
    req.reply = false;
    if (!publishRequest(this.nc, this.protocol, plainHeads, subject, "", -1, req)) throw badAddress(subject);
    this.coalescer.written();
  }

  /** Subscribes a module instance's subject and feeds its server. */
  serve(address: string, server: Endpoint): void {
    const nc = this.nc;
    const protocol = this.protocol;
    const log = this.log;
    const inputLog = this.inputLog;
    const respond: WireResponder = (replyTo, reply) => {
      if (replyTo === "" || nc.isClosed()) return;
      try {
        if (publishReply(nc, protocol, replyTo, reply)) this.coalescer.written();
        else inputLog.warn("reply-subject", `rpc: reply to ${escapeForLog(replyTo)} dropped on ${address}: not a NATS subject`);
      } catch (err) {
        log.warn({ err }, `rpc: reply to ${escapeForLog(replyTo)} not sent`);
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
        let req: RPCInfo;
        try {
          req = decodeRPCInfo(msg.data);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          inputLog.warn(
            "undecodable-request",
            `rpc: undecodable request on ${address} for ${server.nodeId} dropped: ${escapeForLog(reason)}, ${previewBytes(msg.data)}`,
          );
          return;
        }
        try {
          server.handleWire(req, respond);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          inputLog.warn("dispatch-failed", `rpc: request ${escapeForLog(req.fn)} on ${server.nodeId} failed before dispatch: ${escapeForLog(reason)}`);
        }
      },
    });
    this.served.set(address, sub);
    this.served.set(`${address}${CANCEL_SUFFIX}`, serveCancels(nc, address, server));
  }

  /** Stops receiving calls for a node (stop taking calls; in-flight ones still reply). */
  unserve(address: string): void {
    for (const subject of [address, `${address}${CANCEL_SUFFIX}`]) {
      this.served.get(subject)?.unsubscribe();
      this.served.delete(subject);
    }
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Fails every pending call with ClosedError and drops the subscriptions. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.prober);
    this.inputLog.close();
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    for (const sub of this.served.values()) sub.unsubscribe();
    this.served.clear();
    for (const sub of this.subscriptions) sub.unsubscribe();
    for (const call of this.pending.values()) this.settleError(call, new ClosedError());
  }
}

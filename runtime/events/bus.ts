/**
 * Typed events between modules. Over NATS an event is a core NATS publish of the message's protobuf bytes on
 * the event's subject: a broadcast subscription is a plain subscription (every subscribing node receives), a
 * balanced one a queue subscription whose queue group is the subscribing module type (nats-server hands each
 * event to one member of each group). Without NATS the same rules hold in process: every broadcast
 * subscription, one subscription per group (round robin) for balanced events; the payload is encoded and
 * decoded there too, so a handler sees exactly the values it would see over the wire. Payloads from the
 * network are decoded with the event's codec; a bad one is logged (throttled) and dropped, and a handler that
 * throws is logged without touching delivery to anyone else.
 */
import type { NatsConnection, Subscription } from "nats";
import type { Logger } from "../log/types.js";
import type { EventDescriptor } from "../descriptor.js";
import { BadArgumentError, ClosedError, NotStartedError } from "../errors.js";
import { ThrottledLog, escapeForLog, previewBytes } from "../log/throttle.js";
import { isPublishableSubject } from "../transport/subject.js";
import type { EventBus, EventHandler, EventInfo, EventSubscription, SubscribeOptions } from "./types.js";

const RESOLVED: Promise<void> = Promise.resolve();
/** Queue group names go into SUB lines like subjects: the same characters are refused. */
const GROUP = /^[^\s.*>]{1,256}$/;

interface Sub {
  readonly event: EventDescriptor;
  readonly info: EventInfo;
  /** Undefined for broadcast. */
  readonly group: string | undefined;
  readonly handler: EventHandler<unknown>;
  nats: Subscription | undefined;
  closed: boolean;
  ready: Promise<void>;
  markReady: () => void;
}

/** The subject each descriptor last passed the check with: generated ones are checked once, not per emit. */
const checkedSubjects = new WeakMap<EventDescriptor, string>();

function checkSubject(event: EventDescriptor): void {
  if (checkedSubjects.get(event) === event.subject) return;
  if (isPublishableSubject(event.subject)) checkedSubjects.set(event, event.subject);
  else {
    throw new BadArgumentError(`event ${event.module}.${event.name}: subject ${escapeForLog(event.subject)} is not a NATS subject`);
  }
}

/** The app's events: one per app, attached to its NATS connection (or none) when the app starts. */
export class EventHub {
  private state: "new" | "attached" | "closed" = "new";
  private nc: NatsConnection | undefined;
  private throttled: ThrottledLog | undefined;
  private readonly subs = new Set<Sub>();
  /** In process: subscriptions by subject, and the next member of each balanced group. */
  private readonly bySubject = new Map<string, Sub[]>();
  private readonly turn = new Map<string, number>();

  /** A view whose balanced subscriptions share `group` (a module type), or none for the app's own view. */
  scope(group: string | undefined): EventBus {
    return {
      emit: (event, value) => this.emit(event, value),
      on: <T>(event: EventDescriptor, handler: EventHandler<T>, options?: SubscribeOptions) =>
        this.on(event, handler as EventHandler<unknown>, options?.group ?? group),
    };
  }

  /** Called once the app knows whether it has NATS; subscriptions made before start go live now. */
  attach(nc: NatsConnection | undefined, log: Logger): void {
    if (this.state !== "new") return;
    this.state = "attached";
    this.nc = nc;
    this.throttled = new ThrottledLog(log);
    for (const sub of this.subs) this.goLive(sub);
  }

  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    for (const sub of [...this.subs]) this.drop(sub);
    this.throttled?.close();
  }

  emit(event: EventDescriptor, value: unknown): Promise<void> {
    try {
      if (this.state !== "attached") {
        throw this.state === "new" ? new NotStartedError(`event ${event.name}: the app emits once it has started`) : new ClosedError(`event ${event.name}: the app has stopped`);
      }
      checkSubject(event);
      const bytes = event.codec.encode(value);
      if (this.nc !== undefined) this.publish(event, bytes);
      else this.deliverInProcess(event, bytes);
      return RESOLVED;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private publish(event: EventDescriptor, bytes: Uint8Array): void {
    try {
      (this.nc as NatsConnection).publish(event.subject, bytes);
    } catch (err) {
      const text = (err as Error).message ?? String(err);
      if ((err as { code?: unknown }).code === "MAX_PAYLOAD_EXCEEDED") throw new BadArgumentError(`event ${event.name}: ${bytes.length} bytes is over the server's max_payload`, { cause: err });
      throw new ClosedError(`event ${event.name}: ${text}`, { cause: err });
    }
  }

  private deliverInProcess(event: EventDescriptor, bytes: Uint8Array): void {
    const subs = this.bySubject.get(event.subject);
    if (subs === undefined) return;
    const groups = new Map<string, Sub[]>();
    for (const sub of subs) {
      if (sub.group === undefined) queueMicrotask(() => this.deliver(sub, bytes));
      else {
        const members = groups.get(sub.group);
        if (members === undefined) groups.set(sub.group, [sub]);
        else members.push(sub);
      }
    }
    for (const [group, members] of groups) {
      const key = `${event.subject}\u0000${group}`;
      const next = this.turn.get(key) ?? 0;
      const chosen = members[next % members.length] as Sub;
      this.turn.set(key, next + 1);
      queueMicrotask(() => this.deliver(chosen, bytes));
    }
  }

  on(event: EventDescriptor, handler: EventHandler<unknown>, group: string | undefined): EventSubscription {
    if (this.state === "closed") throw new ClosedError(`event ${event.name}: the app has stopped`);
    checkSubject(event);
    if (typeof handler !== "function") throw new BadArgumentError(`event ${event.name}: the handler must be a function`);
    let effectiveGroup: string | undefined;
    if (event.delivery === "balanced") {
      if (group === undefined) {
        throw new BadArgumentError(`event ${event.name} is balanced: subscribe from a module (ctx.events), or pass { group } naming the subscribing module type`);
      }
      if (!GROUP.test(group)) throw new BadArgumentError(`event ${event.name}: group ${escapeForLog(group)} may not hold spaces, dots or wildcards`);
      effectiveGroup = group;
    }
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const sub: Sub = {
      event,
      info: { name: event.name, module: event.module, subject: event.subject },
      group: effectiveGroup,
      handler,
      nats: undefined,
      closed: false,
      ready,
      markReady,
    };
    this.subs.add(sub);
    if (this.state === "attached") this.goLive(sub);
    return { ready, unsubscribe: () => this.drop(sub) };
  }

  private goLive(sub: Sub): void {
    const nc = this.nc;
    if (nc === undefined) {
      const list = this.bySubject.get(sub.event.subject);
      if (list === undefined) this.bySubject.set(sub.event.subject, [sub]);
      else list.push(sub);
      sub.markReady();
      return;
    }
    sub.nats = nc.subscribe(sub.event.subject, {
      ...(sub.group !== undefined ? { queue: sub.group } : {}),
      callback: (err, msg) => {
        if (err === null) this.deliver(sub, msg.data);
        else this.throttled?.warn(`event-sub:${sub.event.subject}`, `event ${sub.event.module}.${sub.event.name}: subscription error: ${escapeForLog(err.message, 200)}`);
      },
    });
    nc.flush().then(sub.markReady, sub.markReady);
  }

  private drop(sub: Sub): void {
    if (sub.closed) return;
    sub.closed = true;
    this.subs.delete(sub);
    sub.markReady();
    if (sub.nats !== undefined) {
      try {
        sub.nats.unsubscribe();
      } catch {
        // The connection is closing already; the subscription goes with it.
      }
    }
    const list = this.bySubject.get(sub.event.subject);
    if (list !== undefined) {
      const rest = list.filter((s) => s !== sub);
      if (rest.length > 0) this.bySubject.set(sub.event.subject, rest);
      else this.bySubject.delete(sub.event.subject);
    }
  }

  private deliver(sub: Sub, bytes: Uint8Array): void {
    if (sub.closed) return;
    let value: unknown;
    try {
      value = sub.event.codec.decode(bytes, sub.event.codec.tag);
    } catch (err) {
      this.throttled?.warn(
        `event-decode:${sub.event.subject}`,
        `event ${sub.event.module}.${sub.event.name} on ${escapeForLog(sub.event.subject)}: dropped a payload that does not decode (${escapeForLog((err as Error).message ?? String(err), 160)}): ${previewBytes(bytes)}`,
      );
      return;
    }
    try {
      const result = sub.handler(value, sub.info);
      if (result !== undefined && typeof (result as Promise<void>).then === "function") {
        (result as Promise<void>).then(undefined, (err: unknown) => this.handlerFailed(sub, err));
      }
    } catch (err) {
      this.handlerFailed(sub, err);
    }
  }

  private handlerFailed(sub: Sub, err: unknown): void {
    this.throttled?.warn(`event-handler:${sub.event.subject}`, `event ${sub.event.module}.${sub.event.name}: a handler failed: ${escapeForLog((err as Error)?.message ?? String(err), 200)}`);
  }
}

/**
 * Typed events between modules, as generated `<Module>Events` classes and applications see them: `emit`
 * and `on` on `app.events` (no subscribing module type) or `ctx.events` in a module (its module type is the
 * group balanced events are shared in).
 */
import type { EventDescriptor } from "../descriptor.js";

/** What a handler learns besides the payload. */
export interface EventInfo {
  /** The event's name and module, as declared. */
  readonly name: string;
  readonly module: string;
  readonly subject: string;
}

export type EventHandler<T> = (event: T, info: EventInfo) => void | Promise<void>;

export interface SubscribeOptions {
  /**
   * Balanced events go to one subscriber of each group; the group is the subscribing module type
   * (`ctx.events`), or this. Required for a balanced event subscribed on `app.events`. Ignored for broadcast.
   */
  readonly group?: string;
}

export interface EventSubscription {
  /** Resolves once nats-server has the subscription (at once in process); events emitted after are seen. */
  readonly ready: Promise<void>;
  /** Stops delivery to this handler; idempotent. */
  unsubscribe(): void;
}

export interface EventBus {
  /**
   * Encodes and sends `value`: over NATS it resolves once the connection has it (a core NATS publish, at most
   * once, like Moleculer's emit); in process once every subscriber's delivery is scheduled.
   */
  emit(event: EventDescriptor, value: unknown): Promise<void>;
  /** Subscribes `handler`; payloads are decoded with the event's codec, and a bad one is logged and dropped. */
  on<T>(event: EventDescriptor, handler: EventHandler<T>, options?: SubscribeOptions): EventSubscription;
}

/** What a generated `<Module>Events` class is built from: the app, or a module's context. */
export interface EventHost {
  readonly events: EventBus;
}

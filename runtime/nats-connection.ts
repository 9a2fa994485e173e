/**
 * The NATS connection as mqgen's public types name it: the part of nats.js' `NatsConnection` an app uses
 * directly, written out here instead of imported. nats.js' own declarations (some 40 files) then never
 * enter a consumer's program through mqgen — they do not pass `@tsconfig/strictest` with `skipLibCheck`
 * off, and they were most of what a consumer's compiler read of mqgen. Every nats.js 2.x connection has
 * these members, so `connect()`'s result is accepted as it is; the runtime checks that what it is given is
 * one (nats-js.ts) before it uses the rest of nats.js (JetStream, the services API, its protocol).
 */
import { connect } from "nats";

export interface NatsConnection {
  publish(subject: string, payload?: Uint8Array | string): void;
  subscribe(subject: string, options?: NatsSubscribeOptions): NatsSubscription;
  request(subject: string, payload?: Uint8Array | string, options?: { readonly timeout: number }): Promise<NatsMessage>;
  /** Resolves once the server has seen everything published so far. */
  flush(): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when the connection closes, with the error that closed it, if any. */
  closed(): Promise<void | Error>;
  isClosed(): boolean;
  isDraining(): boolean;
  /** The server connected to, `host:port`. */
  getServer(): string;
  /** Connection events (`disconnect`, `reconnect`, …) as they happen. */
  status(): AsyncIterable<NatsStatus>;
}

export interface NatsSubscribeOptions {
  /** Queue group: each message goes to one subscriber of the group. */
  readonly queue?: string;
  /** Unsubscribe after this many messages. */
  readonly max?: number;
  /** Close the subscription with an error when no message arrives within this many ms. */
  readonly timeout?: number;
}

export interface NatsSubscription extends AsyncIterable<NatsMessage> {
  /** Resolves when the subscription ends. */
  readonly closed: Promise<void>;
  unsubscribe(max?: number): void;
  drain(): Promise<void>;
  isClosed(): boolean;
  getSubject(): string;
}

export interface NatsMessage {
  readonly subject: string;
  readonly reply?: string;
  readonly data: Uint8Array;
  /** Publishes to the message's reply subject; false when it has none. */
  respond(payload?: Uint8Array | string): boolean;
  /** The payload as UTF-8 text. */
  string(): string;
}

export interface NatsStatus {
  readonly type: string;
  readonly data: unknown;
}

export interface NatsConnectOptions {
  readonly servers: string | string[];
  /** Delay between reconnect attempts (ms); attempts never stop. */
  readonly reconnectTimeWaitMs?: number;
  readonly name?: string;
}

/**
 * Connects with mqgen's defaults: reconnect forever (nats.js stops after 10 attempts by default). The
 * result is a nats.js connection; for its full API, call nats.js' `connect()` yourself and pass that.
 */
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

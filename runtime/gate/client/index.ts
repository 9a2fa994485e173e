/**
 * mqgen/gate-client: calls `HD_` handlers through an mqant-compatible gate and receives its pushes.
 *
 * Browser-safe on purpose: no node: imports, no NATS, no MQTT library. The caller creates an MQTT.js client
 * (over WebSocket in a browser, TCP or WebSocket in Node) and hands it in; anything with the same shape works.
 */
import { AbortedError, ClosedError, DeadlineExceededError, GateCallError, ProtocolError } from "../../errors.js";

export { defineMessage, defineEnum, field, scalar } from "../../codec/message.js";
export { oneof } from "../../codec/oneof.js";
export { structMessage } from "../../codec/struct.js";
export type { JsonObject, JsonValue } from "../../codec/struct.js";
export type { MessageType, EnumType, FieldDescriptor, FieldType, ScalarKind } from "../../descriptor.js";
export { enumResult } from "./results.js";
export { MqgenError, DeadlineExceededError, AbortedError, ClosedError, ProtocolError, RemoteError, GateCallError } from "../../errors.js";

/** The part of an MQTT.js client the gate client uses (structural, so no import of `mqtt` is needed). */
export interface MqttLikeClient {
  publish(
    topic: string,
    message: string,
    options: { qos: 0 | 1 | 2 },
    callback?: (error?: Error) => void,
  ): unknown;
  on(event: "message", listener: (topic: string, payload: Uint8Array) => void): unknown;
  removeListener(event: "message", listener: (topic: string, payload: Uint8Array) => void): unknown;
}

export interface GateCallOptions {
  /** Per-call timeout in ms; defaults to the client's `timeoutMs` (10 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** MQTT QoS of the request publish (default 0, as mqant's own clients use). */
  readonly qos?: 0 | 1 | 2;
  /** Route to one node: `moduleType@nodeId`. */
  readonly nodeId?: string;
}

export interface GateClientOptions {
  /** Default per-call timeout in ms (10 s, mqant's RPCExpired). */
  readonly timeoutMs?: number;
}

export type PushListener = (payload: Uint8Array, topic: string) => void;

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface ReplyEnvelope {
  readonly Trace?: unknown;
  readonly Error?: unknown;
  readonly Result?: unknown;
}

const textDecoder = new TextDecoder();
const DEFAULT_TIMEOUT_MS = 10_000;

/** MQTT topic filter matching with `+` (one level) and `#` (the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const filterLevels = filter.split("/");
  const topicLevels = topic.split("/");
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === "#") return true;
    if (i >= topicLevels.length) return false;
    if (level !== "+" && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

export class GateClient {
  private readonly mqtt: MqttLikeClient;
  private readonly defaultTimeoutMs: number;
  private readonly pending = new Map<string, PendingCall>();
  private readonly pushListeners = new Set<{ filter: string; listener: PushListener }>();
  private nextMessageId = 1;
  private closed = false;
  private readonly onMessage = (topic: string, payload: Uint8Array): void => this.dispatch(topic, payload);

  constructor(mqtt: MqttLikeClient, options: GateClientOptions = {}) {
    this.mqtt = mqtt;
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    mqtt.on("message", this.onMessage);
  }

  /**
   * Calls `moduleType/handler/<msgId>` and resolves with the reply envelope's `Result` (`[]byte` results
   * arrive base64-encoded, as Go's JSON encoder writes them).
   */
  request(moduleType: string, handler: string, body: unknown, options: GateCallOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new ClosedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const target = options.nodeId === undefined ? moduleType : `${moduleType}@${options.nodeId}`;
    const topic = `${target}/${handler}/${this.nextMessageId++}`;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.pending.delete(topic);
      };
      const onAbort = (): void => {
        finish();
        reject(new AbortedError());
      };
      const timer = setTimeout(() => {
        finish();
        reject(new DeadlineExceededError());
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(topic, {
        resolve: (value) => {
          finish();
          resolve(value);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      this.mqtt.publish(topic, encodeBody(body), { qos: options.qos ?? 0 }, (error) => {
        if (error) this.pending.get(topic)?.reject(new ClosedError(`publish failed: ${error.message}`, { cause: error }));
      });
    });
  }

  /** Fire-and-forget: publishes on `moduleType/handler` (no msgId, so the gate sends no reply). */
  notify(moduleType: string, handler: string, body: unknown): void {
    if (this.closed) throw new ClosedError();
    this.mqtt.publish(`${moduleType}/${handler}`, encodeBody(body), { qos: 0 });
  }

  /**
   * Listens to pushes whose topic matches `topic` (MQTT wildcards allowed). The gate pushes to a connection
   * without any SUBSCRIBE, as mqant's does. Returns the function that removes the listener.
   */
  onPush(topic: string, listener: PushListener): () => void {
    const entry = { filter: topic, listener };
    this.pushListeners.add(entry);
    return () => {
      this.pushListeners.delete(entry);
    };
  }

  /** Rejects calls still waiting and stops listening; the MQTT client itself stays the caller's to end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mqtt.removeListener("message", this.onMessage);
    for (const call of [...this.pending.values()]) call.reject(new ClosedError());
    this.pending.clear();
    this.pushListeners.clear();
  }

  private dispatch(topic: string, payload: Uint8Array): void {
    const call = this.pending.get(topic);
    if (call !== undefined) {
      settleFromEnvelope(call, topic, payload);
      return;
    }
    for (const { filter, listener } of this.pushListeners) {
      if (topicMatches(filter, topic)) listener(payload, topic);
    }
  }
}

/**
 * A string is sent as is, anything else as JSON (what the gate hands backends as `map`). A Uint8Array is
 * sent as its UTF-8 text, because the MQTT client's publish takes a string everywhere it runs.
 */
function encodeBody(body: unknown): string {
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return textDecoder.decode(body);
  return JSON.stringify(body ?? {});
}

function settleFromEnvelope(call: PendingCall, topic: string, payload: Uint8Array): void {
  let envelope: ReplyEnvelope;
  try {
    const parsed: unknown = JSON.parse(textDecoder.decode(payload));
    if (parsed === null || typeof parsed !== "object") throw new Error("not an object");
    envelope = parsed as ReplyEnvelope;
  } catch (error) {
    call.reject(new ProtocolError(`reply on ${topic} is not a gate envelope`, { cause: error }));
    return;
  }
  const trace = typeof envelope.Trace === "string" ? envelope.Trace : "";
  if (typeof envelope.Error === "string" && envelope.Error !== "") {
    call.reject(new GateCallError(envelope.Error, { topic, trace }));
    return;
  }
  call.resolve(envelope.Result ?? null);
}

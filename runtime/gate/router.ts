/**
 * Client PUBLISH → backend call, as mqant's default route (`gate/base/mqtt_agent.go`): topic
 * `moduleType[@nodeId]/HD_handler[/msgId]`, arguments `[SESSION, map|bytes]`, and with a msgId the reply
 * `{"Trace","Error","Result"}` published back on the same topic. Error texts are mqant's, byte for byte.
 */
import { DeadlineExceededError, NoneAvailableError, NotFoundError } from "../errors.js";
import type { AppHandle } from "../app/types.js";
import type { CallOptions, RawResult } from "../descriptor.js";
import { encodeBase64, goJsonStringify } from "../codec/values.js";
import type { Connection, GateLog } from "./connection.js";
import { encodeRoutedSession } from "./session-bytes.js";
import { generateId } from "./session-state.js";

/** The part of the app the gate calls backends through. */
export type GateBackend = Pick<AppHandle, "callArgs" | "callArgsNR">;

export const GateErrors = {
  badTopic: "Topic must be [moduleType@moduleID]/[handler]|[moduleType@moduleID]/[handler]/[msgid]",
  badJson: "The JSON format is incorrect",
  workQueueFull: "the work queue is full!",
  handlerPrefix: (handler: string) => `Method(${handler}) must begin with 'HD_'`,
  serviceNotFound: (moduleType: string) => `Service(type:${moduleType}) not found`,
} as const;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const utf8Decoder = new TextDecoder("utf-8");

export interface ParsedTopic {
  readonly target: string;
  readonly handler: string;
  /** "" when the topic has 2 parts, or more than 3 (mqant treats both as fire-and-forget). */
  readonly msgId: string;
}

/** Splits like Go's strings.Split, but never builds an array for a topic with thousands of levels. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const first = topic.indexOf("/");
  if (first < 0) return undefined;
  const second = topic.indexOf("/", first + 1);
  const target = topic.slice(0, first);
  if (second < 0) return { target, handler: topic.slice(first + 1), msgId: "" };
  const handler = topic.slice(first + 1, second);
  const third = topic.indexOf("/", second + 1);
  return { target, handler, msgId: third < 0 ? topic.slice(second + 1) : "" };
}

/** Go's shortest float32 text (strconv.FormatFloat(f, 'g', -1, 32) as encoding/json writes it). */
function float32Text(value: number): string {
  if (!Number.isFinite(value)) return "null";
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === value) return String(candidate);
  }
  return String(value);
}

/** A result as Go's encoding/json writes the value mqant's `Bytes2Args` decoded from it. */
export function resultToJson(resultType: string, bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    switch (resultType) {
      case "null":
        return "null";
      case "string":
        return goJsonStringify(utf8Decoder.decode(bytes));
      case "bool":
        return bytes.length > 0 && bytes[0] !== 0 ? "true" : "false";
      case "int":
        return String(view.getInt32(0, false));
      case "long":
        return view.getBigInt64(0, false).toString();
      case "float":
        return float32Text(view.getFloat32(0, true));
      case "double":
        return goJsonStringify(view.getFloat64(0, true));
      case "map":
      case "mapstr":
      case "trace":
        return goJsonStringify(JSON.parse(utf8Decoder.decode(bytes)));
      default:
        // bytes, proto@…, marshal@…, SESSION: a Go []byte, which encoding/json writes as base64.
        return `"${encodeBase64(bytes)}"`;
    }
  } catch {
    return `"${encodeBase64(bytes)}"`;
  }
}

export function envelope(trace: string, error: string, resultJson: string): string {
  return `{"Trace":${goJsonStringify(trace)},"Error":${goJsonStringify(error)},"Result":${resultJson}}`;
}

export class Router {
  private readonly backend: GateBackend;
  private readonly log: GateLog;
  /** The same for every call (options are read, never changed, along the call path). */
  private readonly callOptions: CallOptions;
  private readonly concurrentTasks: number;

  constructor(backend: GateBackend, options: { log: GateLog; rpcTimeoutMs: number; concurrentTasks: number }) {
    this.backend = backend;
    this.log = options.log;
    this.callOptions = { timeout: options.rpcTimeoutMs };
    this.concurrentTasks = options.concurrentTasks;
  }

  route(connection: Connection, topic: string, payload: Buffer): void {
    const session = connection.session;
    if (session === undefined) return;
    const parsed = parseTopic(topic);
    if (parsed === undefined) {
      // mqant answers this one even without a msgId.
      this.replyError(connection, topic, GateErrors.badTopic);
      return;
    }
    const { target, handler, msgId } = parsed;
    if (!handler.startsWith("HD_")) {
      if (msgId !== "") this.replyError(connection, topic, GateErrors.handlerPrefix(handler));
      return;
    }
    let payloadTag = "bytes";
    if (payload.length > 0 && payload[0] === OPEN_BRACE && payload[payload.length - 1] === CLOSE_BRACE) {
      try {
        JSON.parse(payload.toString("utf8"));
      } catch {
        if (msgId !== "") this.replyError(connection, topic, GateErrors.badJson);
        return;
      }
      payloadTag = "map";
    }
    if (connection.inFlight >= this.concurrentTasks) {
      if (msgId !== "") this.replyError(connection, topic, GateErrors.workQueueFull);
      return;
    }
    // What the backend sees: the session with Topic = the publish topic and a new span (mqant clones it so).
    const sessionBytes = encodeRoutedSession(session, generateId(), topic);
    const argsType = ["SESSION", payloadTag];
    const args = [sessionBytes, payload];
    connection.inFlight++;
    // No shared `done` closure: every function made here is made on every request.
    if (msgId === "") {
      this.backend.callArgsNR(target, handler, argsType, args, this.callOptions).then(
        () => void connection.inFlight--,
        (error: unknown) => {
          connection.inFlight--;
          this.log.debug({ err: error, topic }, "gate fire-and-forget call failed");
        },
      );
      return;
    }
    this.backend.callArgs(target, handler, argsType, args, this.callOptions).then(
      (result) => {
        connection.inFlight--;
        this.reply(connection, topic, result);
      },
      (error: unknown) => {
        connection.inFlight--;
        this.replyError(connection, topic, callErrorText(error, target));
      },
    );
  }

  private reply(connection: Connection, topic: string, result: RawResult): void {
    const session = connection.session;
    if (connection.closed || session === undefined) return;
    if (result.resultType === "ProtocolMarshal" && result.error === "") {
      // mqant's module.ProtocolMarshal: the handler pre-encoded the client payload.
      connection.publish(topic, result.result);
      return;
    }
    const body = envelope(session.traceId, result.error, resultToJson(result.resultType, result.result));
    connection.publish(topic, Buffer.from(body));
  }

  private replyError(connection: Connection, topic: string, error: string): void {
    const session = connection.session;
    if (connection.closed || session === undefined) return;
    connection.publish(topic, Buffer.from(envelope(session.traceId, error, "null")));
  }
}

function callErrorText(error: unknown, target: string): string {
  if (error instanceof NotFoundError && error.message.startsWith("Remote function")) return error.message;
  if (error instanceof NoneAvailableError || error instanceof NotFoundError) return GateErrors.serviceNotFound(target);
  if (error instanceof DeadlineExceededError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

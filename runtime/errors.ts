/**
 * Every error the runtime raises is a MqgenError with a stable `code` and a `retryable` flag, so callers
 * branch on `err.code` instead of matching strings, and a retry policy asks `err.retryable`. Messages keep
 * mqant's wording where mqant has one, because users of a mixed Go/TypeScript cluster grep logs for those
 * strings; `errorFromWire` maps those texts back to the classes here (mqant sends errors as plain text).
 * All error classes of the runtime live in this file (Moleculer's errors.js is the model).
 */
export type ErrorCode =
  | "DEADLINE_EXCEEDED"
  | "NONE_AVAILABLE"
  | "NOT_FOUND"
  | "REMOTE"
  | "BUSY"
  | "CLOSED"
  | "BAD_ARGUMENT"
  | "CONFIG"
  | "SCHEMA_MISMATCH"
  | "PROTOCOL"
  | "REGISTRY"
  | "ABORTED"
  | "NOT_STARTED"
  | "CIRCUIT_OPEN";

/**
 * Whether a failure with this code may succeed when tried again (later, or on another node). It says
 * nothing about whether the handler may have run: a caller retries a call that may have run only when the
 * handler is retry-safe.
 */
const RETRYABLE: Readonly<Record<ErrorCode, boolean>> = {
  DEADLINE_EXCEEDED: true,
  NONE_AVAILABLE: true,
  NOT_FOUND: false,
  REMOTE: false,
  BUSY: true,
  CLOSED: false,
  BAD_ARGUMENT: false,
  CONFIG: false,
  SCHEMA_MISMATCH: false,
  PROTOCOL: false,
  REGISTRY: true,
  ABORTED: false,
  NOT_STARTED: false,
  CIRCUIT_OPEN: true,
};

/**
 * Codes of failures that happen before any handler runs (the request was refused, queued out or never
 * sent), so even a call that is not retry-safe may be sent again.
 */
const NEVER_RAN: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["NONE_AVAILABLE", "BUSY", "REGISTRY", "CIRCUIT_OPEN"]);

export class MqgenError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** True when the callee's handler raised it and it came back over the wire (or the in-process path). */
  readonly remote: boolean;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean; remote?: boolean }) {
    super(message, options);
    this.code = code;
    this.retryable = options?.retryable ?? RETRYABLE[code];
    this.remote = options?.remote ?? code === "REMOTE";
    this.name = new.target.name;
  }
}

/** The caller's deadline passed before a reply arrived. mqant: "deadline exceeded". */
export class DeadlineExceededError extends MqgenError {
  constructor(message = "deadline exceeded", options?: { cause?: unknown; remote?: boolean }) {
    super("DEADLINE_EXCEEDED", message, options);
  }
}

/** No node of the module type is routable. mqant: "none available". */
export class NoneAvailableError extends MqgenError {
  constructor(message = "none available", options?: { cause?: unknown; remote?: boolean }) {
    super("NONE_AVAILABLE", message, options);
  }
}

/** The target node or handler does not exist. mqant: "Remote function(%s) not found", "nofound <id>". */
export class NotFoundError extends MqgenError {
  constructor(message: string, options?: { cause?: unknown; remote?: boolean }) {
    super("NOT_FOUND", message, options);
  }
}

/** The handler ran and returned an error; `message` is the remote error string as sent on the wire. */
export class RemoteError extends MqgenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("REMOTE", message, options);
  }
}

/** A concurrency limit or queue bound was reached. */
export class BusyError extends MqgenError {
  constructor(message = "busy", options?: { cause?: unknown }) {
    super("BUSY", message, options);
  }
}

/** The client, server or app is closed. mqant: "client closed". */
export class ClosedError extends MqgenError {
  constructor(message = "client closed", options?: { cause?: unknown; retryable?: boolean }) {
    super("CLOSED", message, options);
  }
}

/**
 * The callee node is stopping and refused the call before running it (`"<type> rpc server closed"`), so
 * the call may go to another node, retry-safe or not.
 */
export class NodeStoppingError extends ClosedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, retryable: true });
  }
}

/** The circuit breaker of the chosen node is open: the call was not sent. */
export class CircuitOpenError extends MqgenError {
  readonly nodeId: string;
  constructor(nodeId: string, options?: { cause?: unknown }) {
    super("CIRCUIT_OPEN", `circuit open: node ${nodeId} failed too often, calls to it are held back`, options);
    this.nodeId = nodeId;
  }
}

/** An argument or payload could not be encoded or decoded. */
export class BadArgumentError extends MqgenError {
  constructor(message: string, options?: { cause?: unknown; remote?: boolean }) {
    super("BAD_ARGUMENT", message, options);
  }
}

/** server.json or app options are invalid; the message names the key. */
export class ConfigError extends MqgenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONFIG", message, options);
  }
}

/** The caller and the callee were generated from incompatible schemas. */
export class SchemaMismatchError extends MqgenError {
  readonly module: string;
  readonly handler: string;
  readonly expectedHash: string;
  readonly actualHash: string;
  constructor(details: { module: string; handler: string; expectedHash: string; actualHash: string }) {
    super(
      "SCHEMA_MISMATCH",
      `schema mismatch calling ${details.module}.${details.handler}: caller built from ${details.expectedHash}, node serves ${details.actualHash}`,
    );
    this.module = details.module;
    this.handler = details.handler;
    this.expectedHash = details.expectedHash;
    this.actualHash = details.actualHash;
  }
}

/** The call was aborted through the caller's AbortSignal. */
export class AbortedError extends MqgenError {
  constructor(message = "aborted", options?: { cause?: unknown }) {
    super("ABORTED", message, options);
  }
}

/** A registry could not be reached or answered with an error. */
export class RegistryError extends MqgenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("REGISTRY", message, options);
  }
}

/** A peer broke the wire protocol (MQTT, RPC framing). */
export class ProtocolError extends MqgenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PROTOCOL", message, options);
  }
}

/** The app was used before start() (or after it failed). */
export class NotStartedError extends MqgenError {
  constructor(message = "app not started", options?: { cause?: unknown }) {
    super("NOT_STARTED", message, options);
  }
}

/** The callee node disappeared: nothing is subscribed to its subject (NATS no-responders, failed probe). */
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
 * callee's (it reconnected after the call was sent). The request or its reply may be lost and the handler
 * may or may not have run: retry-safe calls are sent again, the others fail with this error at once.
 */
export class CallInterruptedError extends NodeGoneError {
  constructor(nodeId: string, reason: string) {
    super(nodeId, true);
    this.message = `call to ${nodeId} interrupted: ${reason}; it may or may not have run`;
  }
}

/** SchemaMismatchError with the versions and node ids behind the hashes, for the operator reading the log. */
export class HandlerSchemaMismatchError extends SchemaMismatchError {
  readonly callerVersion: string;
  readonly nodeVersion: string | undefined;
  readonly nodeIds: readonly string[];
  constructor(details: {
    module: string;
    method: string;
    wireName: string;
    callerVersion: string;
    nodeVersion: string | undefined;
    nodeIds: readonly string[];
    expectedHash: string;
    actualHash: string;
  }) {
    super({ module: details.module, handler: details.method, expectedHash: details.expectedHash, actualHash: details.actualHash });
    this.callerVersion = details.callerVersion;
    this.nodeVersion = details.nodeVersion;
    this.nodeIds = details.nodeIds;
    const many = details.nodeIds.length !== 1;
    const serves = details.actualHash === "absent" ? `no ${details.wireName}` : `${details.actualHash} (version ${details.nodeVersion ?? "?"})`;
    this.message =
      `schema mismatch calling ${details.module}.${details.method} (${details.wireName}): caller built from ` +
      `${details.expectedHash} (version ${details.callerVersion}), node${many ? "s" : ""} ` +
      `${details.nodeIds.join(", ")} serve${many ? "" : "s"} ${serves}`;
  }
}

/** Raised inside the HTTP gateway for requests it rejects itself; carries the HTTP status. */
export class HttpGatewayError extends MqgenError {
  readonly status: number;
  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(errorCodeForStatus(status), message, options);
    this.status = status;
  }
}

function errorCodeForStatus(status: number): ErrorCode {
  if (status === 404) return "NOT_FOUND";
  if (status === 502) return "REMOTE";
  if (status === 503) return "BUSY";
  if (status === 504) return "DEADLINE_EXCEEDED";
  return "BAD_ARGUMENT";
}

/** The backend (or the gate) answered a gate client with a non-empty `Error` in mqant's reply envelope. */
export class GateCallError extends RemoteError {
  /** The topic the request was published on (`helloworld/HD_say/3`). */
  readonly topic: string;
  /** The connection's trace id as the gate reported it. */
  readonly trace: string;
  constructor(message: string, details: { topic: string; trace: string }) {
    super(message);
    this.topic = details.topic;
    this.trace = details.trace;
  }
}

/**
 * mqant's error texts (and the ones this runtime sends in mqant's form) → the class a caller gets. mqant
 * puts errors on the wire as plain strings (`ResultInfo.Error`), so the text is all there is; the first
 * matching row wins, anything else is a RemoteError carrying the text as sent.
 */
export const MQANT_ERROR_TEXTS: ReadonlyArray<readonly [RegExp, (text: string) => MqgenError]> = [
  // RegisterGO's queue bound and mqgen's concurrency bound: "<type> rpc func(<fn>) busy: ..."
  [/ rpc func\(.*\) busy: /, (text) => new BusyError(text)],
  [/^the work queue is full!$/, (text) => new BusyError(text)],
  // A node that is stopping refuses new calls before they run.
  [/^\S+ rpc server closed$/, (text) => new NodeStoppingError(text)],
  // A callee's own call timed out or found no node: mqant's texts, relayed as the handler's error.
  [/^deadline exceeded$/, (text) => new DeadlineExceededError(text, { remote: true })],
  [/^none available$/, (text) => new NoneAvailableError(text, { remote: true })],
  [/^Remote function\(.*\) not found$/, (text) => new NotFoundError(text, { remote: true })],
];

/**
 * Codes a handler's error keeps across the wire (ResultInfo field 15, an mqgen extension Go mqant skips:
 * a Go caller sees the error's text only, as from any mqant handler).
 */
export const WIRE_ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>(["BAD_ARGUMENT", "NOT_FOUND"]);

/** The code to send with a handler's error, or "" when the text alone goes (mqant's way). */
export function wireErrorCode(error: unknown): string {
  return error instanceof MqgenError && WIRE_ERROR_CODES.has(error.code) ? error.code : "";
}

/** The error a caller sees for an error text from the wire, and the code a mqgen callee sent with it. */
export function errorFromWire(text: string, code = ""): MqgenError {
  if (code === "BAD_ARGUMENT") return new BadArgumentError(text, { remote: true });
  if (code === "NOT_FOUND") return new NotFoundError(text, { remote: true });
  for (const [pattern, make] of MQANT_ERROR_TEXTS) if (pattern.test(text)) return make(text);
  return new RemoteError(text);
}

/**
 * The runtime's one retry policy (the client's failover, the retry middleware and the HTTP gateway all ask
 * it): a failure may be retried when its code says trying again can succeed (`retryable`), and either the
 * handler is retry-safe or the failure says the handler never ran. Decided by class and code, never by
 * message text (errorFromWire turns mqant's texts into classes first).
 */
export function isRetryable(error: unknown, retrySafe: boolean): boolean {
  if (!(error instanceof MqgenError) || !error.retryable) return false;
  return retrySafe || neverRan(error);
}

/** True when the failure says the handler did not run (so even a call that is not retry-safe may go again). */
export function neverRan(error: MqgenError): boolean {
  if (error instanceof NodeGoneError) return !error.delivered;
  if (error instanceof NodeStoppingError) return true;
  // A handler's own "none available" (its downstream call failed) says nothing of this call.
  return !error.remote && NEVER_RAN.has(error.code);
}

/** The chosen node cannot take calls (gone or stopping): the caller drops it from routing and moves on. */
export function isNodeFailure(error: unknown): boolean {
  return error instanceof NodeGoneError || error instanceof NodeStoppingError;
}

/**
 * Every error the runtime raises is a MqgenError with a stable `code`, so callers can branch on
 * `err.code` instead of matching strings. Messages keep mqant's wording where mqant has one, because
 * users of a mixed Go/TypeScript cluster grep logs for those strings.
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
  | "ABORTED";

export class MqgenError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The caller's deadline passed before a reply arrived. mqant: "deadline exceeded". */
export class DeadlineExceededError extends MqgenError {
  constructor(message = "deadline exceeded", options?: { cause?: unknown }) {
    super("DEADLINE_EXCEEDED", message, options);
  }
}

/** No node of the module type is routable. mqant: "none available". */
export class NoneAvailableError extends MqgenError {
  constructor(message = "none available", options?: { cause?: unknown }) {
    super("NONE_AVAILABLE", message, options);
  }
}

/** The target node or handler does not exist. mqant: "Remote function(%s) not found", "nofound <id>". */
export class NotFoundError extends MqgenError {
  constructor(message: string, options?: { cause?: unknown }) {
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
  constructor(message = "client closed", options?: { cause?: unknown }) {
    super("CLOSED", message, options);
  }
}

/** An argument or payload could not be encoded or decoded. */
export class BadArgumentError extends MqgenError {
  constructor(message: string, options?: { cause?: unknown }) {
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

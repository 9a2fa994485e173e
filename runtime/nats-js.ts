/**
 * Where a connection given through the public types (nats-connection.ts) becomes nats.js' own type again.
 * The public type names only what an app calls; the runtime also uses JetStream (the NATS KV registry),
 * the services API (the console) and the protocol handler (the transport), so it checks, once, at the
 * option that took the connection, that the object is a nats.js connection, instead of failing later with
 * `x is not a function` inside a call.
 */
import type { NatsConnection as NatsJsConnection } from "nats";
import { ConfigError } from "./errors.js";
import type { NatsConnection } from "./nats-connection.js";

const NATS_JS_METHODS = ["publish", "subscribe", "request", "flush", "drain", "close", "closed", "isClosed", "status", "jetstream", "jetstreamManager"] as const;

/** `connection` as nats.js' NatsConnection; a ConfigError naming `option` and what is missing otherwise. */
export function natsJs(connection: NatsConnection, option: string): NatsJsConnection {
  const members = connection as unknown as Partial<Record<(typeof NATS_JS_METHODS)[number], unknown>>;
  const missing = NATS_JS_METHODS.filter((name) => typeof members[name] !== "function").map((name) => `${name}()`);
  if (missing.length > 0) {
    throw new ConfigError(`${option}: not a nats.js connection (no ${missing.join(", ")}); pass the result of nats' connect() or mqgen's connectNats()`);
  }
  return connection as unknown as NatsJsConnection;
}

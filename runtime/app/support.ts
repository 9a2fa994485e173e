/** Small helpers of the app's start and stop. */
import type { NatsConnection } from "../nats-connection.js";
import { ConfigError } from "../errors.js";

/**
 * A module's ConfigError, prefixed with the server.json entry it came from (`Module.Gate[0].Settings:
 * TCPAddr or WSAddr is required`), so a consumer knows which entry and key to fix.
 */
export function withEntry(err: unknown, type: string, index: number): unknown {
  if (!(err instanceof ConfigError) || err.message.startsWith("Module.")) return err;
  const at = `Module.${type}[${index}]`;
  return new ConfigError(err.message.startsWith("Settings") ? `${at}.${err.message}` : `${at}: ${err.message}`, { cause: err });
}

export function isNatsConnection(value: unknown): value is NatsConnection {
  return typeof value === "object" && value !== null && typeof (value as NatsConnection).publish === "function";
}

export async function within<T>(promise: Promise<T>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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

/**
 * A module's registration TTL and re-register period: its own (mqant passes server.RegisterTTL and
 * server.RegisterInterval to BaseModule.OnInit) over the app's. Unlike mqant, whose ticker and service keep
 * the app's values after the first registration, the module's are used for every one.
 * `storeKeepsMs`: how long the registry keeps an entry whatever TTL is asked (a NATS KV bucket's max age).
 */
export function registrationTimes(
  module: { readonly type: string; readonly registerTtlMs?: number; readonly registerIntervalMs?: number },
  app: { readonly ttlMs: number; readonly intervalMs: number },
  storeKeepsMs: number | undefined,
): { ttlMs: number; intervalMs: number } {
  const ttlMs = module.registerTtlMs ?? app.ttlMs;
  const intervalMs = module.registerIntervalMs ?? app.intervalMs;
  const where = `module ${module.type}`;
  if (!(ttlMs > 0) || !(intervalMs > 0)) throw new ConfigError(`${where}: registerTtlMs and registerIntervalMs must be positive`);
  if (intervalMs >= ttlMs) {
    throw new ConfigError(`${where}: registerIntervalMs (${intervalMs}) must be shorter than registerTtlMs (${ttlMs}), or the entry expires between renewals`);
  }
  if (storeKeepsMs !== undefined && intervalMs >= storeKeepsMs) {
    throw new ConfigError(
      `${where}: registerIntervalMs (${intervalMs}) must be shorter than the registry's own entry lifetime (${storeKeepsMs} ms, the app's registerTtlMs)`,
    );
  }
  return { ttlMs, intervalMs };
}

/** mqant's Run: start, then serve until SIGINT/SIGTERM or a stop() from anywhere, and stop gracefully. */
import type { Module } from "./types.js";

export interface Runnable {
  start(modules: readonly Module[]): Promise<void>;
  stop(reason?: string): Promise<void>;
  /** Resolves once the app has stopped, whoever stopped it. */
  stopped(): Promise<void>;
}

export async function runUntilStopped(app: Runnable, modules: readonly Module[]): Promise<void> {
  // The handlers go in before start(): a SIGTERM that arrives while the app starts (or just after its
  // "app started" line) stops it gracefully once it is up, instead of killing the process outright.
  let received: NodeJS.Signals | undefined;
  let up = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (up) void app.stop(`received ${signal}`);
    else received = signal;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // An app whose modules hold no socket open (in process, no listener) would otherwise let the event
  // loop drain and node exit with "unsettled top-level await" (13) instead of running until a signal.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  try {
    await app.start(modules);
    up = true;
    if (received !== undefined) void app.stop(`received ${received}`);
    await app.stopped();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    clearInterval(keepAlive);
  }
}

/**
 * Bad input logged once per interval with a count, not once per message: a flood of 20,000 garbage
 * requests must cost a handful of log lines, not 60,000 lines and seconds of a stalled event loop.
 *
 *   const dropped = repeatedLog(log, { intervalMs: 10_000 });
 *   dropped.warn("undecodable-request", "rpc: undecodable request dropped", { subject, bytes: data.length });
 *
 * The first report of a key is logged at once (with its fields); later reports of that key within the
 * interval are only counted, and when the interval ends one line says how many there were (with the
 * fields of the last one), e.g. `rpc: undecodable request dropped (4,211 more in the last 10 s)`. Keys
 * name the kind of problem, never the input itself: at most `maxKeys` are tracked, further ones share
 * one overflow key. Messages and fields go through the normal logger, so text lines are escaped.
 */
import type { Logger } from "./types.js";

export interface RepeatedLogOptions {
  /** Length of one counting window, ms (default 10 s). */
  readonly intervalMs?: number;
  /** Distinct keys tracked at once (default 256). */
  readonly maxKeys?: number;
}

export type RepeatedLevel = "debug" | "info" | "warn" | "error";

export interface RepeatedLog {
  warn(key: string, message: string, fields?: Record<string, unknown>): void;
  error(key: string, message: string, fields?: Record<string, unknown>): void;
  info(key: string, message: string, fields?: Record<string, unknown>): void;
  debug(key: string, message: string, fields?: Record<string, unknown>): void;
  /** Logs the counts of the current window now (e.g. before stopping). */
  flush(): void;
  /** Flushes and stops the window timer. */
  close(): void;
}

interface Window {
  level: RepeatedLevel;
  message: string;
  fields: Record<string, unknown> | undefined;
  /** Reports since the line that was logged. */
  suppressed: number;
  openedAt: number;
}

const OVERFLOW_KEY = "\u0000overflow";

export function repeatedLog(log: Pick<Logger, "warn" | "error" | "info" | "debug">, options: RepeatedLogOptions = {}): RepeatedLog {
  const intervalMs = options.intervalMs ?? 10_000;
  const maxKeys = options.maxKeys ?? 256;
  const windows = new Map<string, Window>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const write = (level: RepeatedLevel, message: string, fields: Record<string, unknown> | undefined): void => {
    if (fields === undefined) log[level](message);
    else log[level](fields, message);
  };

  const summarize = (window: Window, now: number): void => {
    if (window.suppressed === 0) return;
    const seconds = Math.max(1, Math.round((now - window.openedAt) / 1000));
    write(window.level, `${window.message} (${window.suppressed.toLocaleString("en-US")} more in the last ${seconds} s)`, window.fields);
  };

  const tick = (): void => {
    const now = Date.now();
    for (const [key, window] of windows) {
      if (now - window.openedAt < intervalMs) continue;
      summarize(window, now);
      windows.delete(key);
    }
    if (windows.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const report = (level: RepeatedLevel, key: string, message: string, fields?: Record<string, unknown>): void => {
    if (closed) return;
    if (!windows.has(key) && windows.size >= maxKeys) key = OVERFLOW_KEY;
    const window = windows.get(key);
    if (window !== undefined) {
      window.suppressed++;
      window.level = level;
      window.message = key === OVERFLOW_KEY ? "repeated problems of other kinds" : message;
      window.fields = fields;
      return;
    }
    windows.set(key, { level, message, fields, suppressed: 0, openedAt: Date.now() });
    write(level, message, fields);
    if (timer === undefined) {
      timer = setInterval(tick, Math.max(10, Math.min(intervalMs, 1000)));
      timer.unref();
    }
  };

  return {
    warn: (key, message, fields) => report("warn", key, message, fields),
    error: (key, message, fields) => report("error", key, message, fields),
    info: (key, message, fields) => report("info", key, message, fields),
    debug: (key, message, fields) => report("debug", key, message, fields),
    flush(): void {
      const now = Date.now();
      for (const window of windows.values()) summarize(window, now);
      windows.clear();
    },
    close(): void {
      this.flush();
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}

/**
 * Log lines about input from the network: the text is escaped (a sender cannot start a new line or
 * smuggle control characters into a text log), and a repeated kind of bad input is logged once per
 * interval with the count of the ones not logged, so a flood of garbage costs a few lines, not one each.
 */
import type { Logger } from "./types.js";
import { repeatedLog, type RepeatedLog } from "./repeated.js";

/** At most `max` characters of `text`, as a quoted string with every non-printable-ASCII character escaped. */
export function escapeForLog(text: string, max = 64): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  let out = '"';
  for (let i = 0; i < cut.length; i++) {
    const code = cut.charCodeAt(i);
    if (code === 0x22 || code === 0x5c) out += `\\${cut[i]}`;
    else if (code >= 0x20 && code < 0x7f) out += cut[i];
    else out += `\\u${code.toString(16).padStart(4, "0")}`;
  }
  out += '"';
  return text.length > max ? `${out}… (${text.length} chars)` : out;
}

/** Bytes from the wire as escaped text for a log line (a short prefix only). */
export function previewBytes(bytes: Uint8Array, max = 32): string {
  let text = "";
  const end = Math.min(bytes.length, max);
  for (let i = 0; i < end; i++) text += String.fromCharCode(bytes[i] as number);
  return escapeForLog(text, max) + (bytes.length > max ? ` (${bytes.length} bytes)` : "");
}

/**
 * Logs each kind of event at most once per `intervalMs`; the count of the ones left out follows in one line
 * when the interval ends (repeatedLog), so the last burst of a flood is counted too.
 */
export class ThrottledLog {
  private readonly repeated: RepeatedLog;

  constructor(log: Pick<Logger, "warn" | "error" | "info" | "debug">, intervalMs = 10_000) {
    this.repeated = repeatedLog(log, { intervalMs });
  }

  /** `message` must already be escaped where it holds untrusted text (escapeForLog). */
  warn(kind: string, message: string): void {
    this.repeated.warn(kind, message);
  }

  /** Logs the counts not logged yet and stops the interval timer. */
  close(): void {
    this.repeated.close();
  }
}

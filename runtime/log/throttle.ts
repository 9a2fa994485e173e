/**
 * Log lines about input from the network: the text is escaped (a sender cannot start a new line or
 * smuggle control characters into a text log), and a repeated kind of bad input is logged once per
 * interval with the count of the ones not logged, so a flood of garbage costs a few lines, not one each.
 */
import type { Logger } from "pino";

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

/** Logs each kind of event at most once per `intervalMs`; the next line says how many were left out. */
export class ThrottledLog {
  private readonly kinds = new Map<string, { lastAt: number; suppressed: number }>();

  constructor(
    private readonly log: Pick<Logger, "warn">,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** `message` must already be escaped where it holds untrusted text (escapeForLog). */
  warn(kind: string, message: string): void {
    const at = this.now();
    const state = this.kinds.get(kind);
    if (state !== undefined && at - state.lastAt < this.intervalMs) {
      state.suppressed++;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    if (this.kinds.size >= 256 && state === undefined) this.kinds.clear();
    this.kinds.set(kind, { lastAt: at, suppressed: 0 });
    this.log.warn(suppressed > 0 ? `${message} (and ${suppressed} more like it in the last ${Math.round((at - (state?.lastAt ?? at)) / 1000)} s)` : message);
  }
}

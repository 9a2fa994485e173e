/**
 * Liveness: how a caller learns that the node it waits on is gone. Requests carry a NATS reply subject
 * `<status inbox>.<token>` so nats-server answers a request to a vanished node with a 503 no-responders
 * status at once; calls that wait long get their node probed (an empty message with such a reply
 * subject). Go mqant ignores the NATS reply field, so none of this shows on the mqant wire.
 */

/**
 * Calls older than this make the transport check that their node still exists. 500 + 100 keeps a killed
 * node's waiting calls failing (and leaving routing) well inside a second.
 */
export const PROBE_AFTER_MS = 500;
export const PROBE_EVERY_MS = 100;

/**
 * Right after this connection reconnected, "no responders" usually means the node has not re-subscribed
 * yet (it reconnects on its own schedule), not that it is gone: within this window such a request is sent
 * again after RESEND_AFTER_MS until its deadline instead of failing, and the node keeps its place in routing.
 */
export const RECONNECT_GRACE_MS = 3000;
export const RESEND_AFTER_MS = 50;

const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * The subject calls' no-responders statuses come back on: `_INBOX.` (the prefix NATS permissions usually
 * open for replies) and 12 random alphanumerics, 71 bits, ample to stay unique on one NATS system.
 */
export function newStatusInbox(): string {
  let out = "_INBOX.";
  const bytes = new Uint8Array(16);
  while (out.length < 19) {
    globalThis.crypto.getRandomValues(bytes);
    // 248 = 4 × 62: bytes above it are dropped so every character is equally likely.
    for (const byte of bytes) if (byte < 248 && out.length < 19) out += ALPHANUMERIC[byte % 62];
  }
  return out;
}

export function parseToken(token: string): number {
  return /^[0-9a-z]{1,10}$/.test(token) ? parseInt(token, 36) : -1;
}

/** A probe in flight: which node it checks, on which subject, since when. */
export interface Probe {
  readonly nodeId: string;
  readonly subject: string;
  readonly sentAt: number;
}

/** The probes one transport has sent, by token; a probe unanswered for 5 s is forgotten. */
export class Probes {
  private readonly byToken = new Map<string, Probe>();
  private seq = 0;

  /**
   * The subjects (→ node id) to probe now: those of calls waiting longer than PROBE_AFTER_MS that no
   * recent probe covers. Each gets a fresh token ("_" keeps probe tokens apart from the calls' base-36 ones).
   */
  due(waiting: Iterable<{ readonly subject: string; readonly nodeId: string; readonly sentAt: number }>, now: number): Array<[token: string, probe: Probe]> {
    for (const [token, probe] of this.byToken) if (now - probe.sentAt > 5000) this.byToken.delete(token);
    const due = new Map<string, string>();
    for (const call of waiting) if (now - call.sentAt > PROBE_AFTER_MS) due.set(call.subject, call.nodeId);
    for (const probe of this.byToken.values()) if (now - probe.sentAt < PROBE_AFTER_MS) due.delete(probe.subject);
    const out: Array<[string, Probe]> = [];
    for (const [subject, nodeId] of due) {
      const token = `_${++this.seq}`;
      const probe = { nodeId, subject, sentAt: now };
      this.byToken.set(token, probe);
      out.push([token, probe]);
    }
    return out;
  }

  /** The probe a status answers, removed; undefined when the token is a call's. */
  take(token: string): Probe | undefined {
    const probe = this.byToken.get(token);
    if (probe !== undefined) this.byToken.delete(token);
    return probe;
  }

  forget(token: string): void {
    this.byToken.delete(token);
  }
}

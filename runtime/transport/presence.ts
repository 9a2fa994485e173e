/**
 * Is a node's NATS subject still subscribed? Asked of nats-server itself, never of the node: every server
 * of the cluster answers the account's connection list (`$SYS.REQ.ACCOUNT.PING.CONNZ`, filtered to
 * connections with a subscription matching the subject), and the node is there when some connection
 * subscribes that exact subject. So the check
 * - leaves nothing in the node's log (a Go mqant node logs a warning for every message it cannot route),
 * - is not fooled by other subscribers of a matching wildcard (a monitoring `>` subscription defeats
 *   "no responders", which only says that nobody at all would receive a message),
 * - tells when the node's connection was (re)established, so a caller knows whether a request it sent
 *   earlier may have been lost in a reconnect.
 *
 * Where the account may not ask (permissions, an old server), the answer is "unknown", and callers fall
 * back to a request with an empty payload: nats-server answers "no responders" at once while nothing is
 * subscribed there.
 */
import { RequestStrategy, type NatsConnection } from "nats";

const EMPTY = new Uint8Array(0);
const CONNZ = "$SYS.REQ.ACCOUNT.PING.CONNZ";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type SubjectState = "present" | "absent" | "unknown";

export interface SubjectPresence {
  readonly state: SubjectState;
  /** When present: the latest start (unix ms) of a connection subscribing the subject. */
  readonly connectedAt?: number;
}

interface ConnzReply {
  data?: { connections?: Array<{ start?: string; subscriptions_list?: string[] }> };
  error?: unknown;
}

export interface SubjectCheckOptions {
  /** How long to wait for the servers' answers, ms. */
  readonly timeoutMs?: number;
  /** After the server refused the question, how long to not ask again, ms. */
  readonly retryUnsupportedMs?: number;
}

export class NatsSubjectCheck {
  private readonly timeoutMs: number;
  private readonly retryUnsupportedMs: number;
  private unsupportedUntil = 0;

  constructor(
    private readonly nc: NatsConnection,
    options: SubjectCheckOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 250;
    this.retryUnsupportedMs = options.retryUnsupportedMs ?? 60_000;
  }

  async check(subject: string): Promise<SubjectPresence> {
    if (this.nc.isClosed() || Date.now() < this.unsupportedUntil) return { state: "unknown" };
    // Every server of the cluster this client knows should answer; fewer answers cannot prove absence.
    const expected = Math.max(1, this.nc.info?.connect_urls?.length ?? 1);
    let replies = 0;
    let connectedAt: number | undefined;
    try {
      const answers = await this.nc.requestMany(CONNZ, encoder.encode(JSON.stringify({ subscriptions: true, filter_subject: subject })), {
        strategy: RequestStrategy.Count,
        maxMessages: expected,
        maxWait: this.timeoutMs,
      });
      for await (const msg of answers) {
        if (msg.data.length === 0) continue;
        let reply: ConnzReply;
        try {
          reply = JSON.parse(decoder.decode(msg.data)) as ConnzReply;
        } catch {
          continue;
        }
        if (reply.error !== undefined || reply.data === undefined) {
          this.unsupportedUntil = Date.now() + this.retryUnsupportedMs;
          return { state: "unknown" };
        }
        replies++;
        for (const connection of reply.data.connections ?? []) {
          if (!(connection.subscriptions_list ?? []).includes(subject)) continue;
          const start = connection.start === undefined ? Number.NaN : Date.parse(connection.start);
          connectedAt = Math.max(connectedAt ?? 0, Number.isFinite(start) ? start : 0);
        }
      }
    } catch (err) {
      // No responders (no system account here) or a permissions violation: ask the old way for a while.
      // Anything else (a timeout, a connection in the middle of reconnecting) only leaves this answer open.
      const code = String((err as { code?: unknown }).code ?? "");
      if (code === "503" || /PERMISSION/i.test(code) || /permission/i.test((err as Error).message ?? "")) {
        this.unsupportedUntil = Date.now() + this.retryUnsupportedMs;
      }
      return { state: "unknown" };
    }
    if (connectedAt !== undefined) return { state: "present", connectedAt };
    return replies >= expected ? { state: "absent" } : { state: "unknown" };
  }
}

export interface NatsProbeOptions {
  /** How long to wait for an answer, ms. */
  readonly timeoutMs?: number;
  /**
   * For the fallback (no connection list): whether a probe nobody answered but nats-server delivered
   * (no 503) means the node is back.
   */
  readonly silenceMeansAlive?: boolean;
  /** A shared check (the transport's); one of its own otherwise. */
  readonly check?: NatsSubjectCheck;
}

/**
 * The selector's probe of a node reported dead (its NodeProbe, wired by the app): back once its subject is
 * subscribed again.
 */
export function natsProbe(nc: NatsConnection, options: NatsProbeOptions = {}): (node: { readonly address: string }) => Promise<boolean> {
  const timeout = options.timeoutMs ?? 250;
  const silenceMeansAlive = options.silenceMeansAlive ?? true;
  const check = options.check ?? new NatsSubjectCheck(nc, { timeoutMs: timeout });
  return async (node: { readonly address: string }): Promise<boolean> => {
    if (node.address.startsWith("local:") || nc.isClosed()) return false;
    const presence = await check.check(node.address);
    if (presence.state !== "unknown") return presence.state === "present";
    try {
      await nc.request(node.address, EMPTY, { timeout, noMux: true });
      return true;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === "TIMEOUT") return silenceMeansAlive;
      return false;
    }
  };
}

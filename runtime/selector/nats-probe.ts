/**
 * The selector's check of a node reported dead, over NATS: a request with an empty payload to the node's
 * subject. nats-server answers "no responders" (503) at once while nothing is subscribed there, so the
 * node is still gone; an answer means it is back. mqgen nodes answer such a probe; nodes that do not
 * (older mqgen nodes, Go mqant) stay silent, and silence counts as "back" only when `silenceMeansAlive`
 * (the node's subscription exists, so it has reconnected).
 */
import type { NatsConnection } from "nats";
import type { ServiceNode } from "../registry/types.js";
import type { NodeProbe } from "./types.js";

const EMPTY = new Uint8Array(0);

export interface NatsProbeOptions {
  /** How long to wait for an answer, ms. */
  readonly timeoutMs?: number;
  /** Whether a probe nobody answered but nats-server delivered (no 503) means the node is back. */
  readonly silenceMeansAlive?: boolean;
}

export function natsProbe(nc: NatsConnection, options: NatsProbeOptions = {}): NodeProbe {
  const timeout = options.timeoutMs ?? 250;
  const silenceMeansAlive = options.silenceMeansAlive ?? true;
  return async (node: ServiceNode): Promise<boolean> => {
    if (node.address.startsWith("local:") || nc.isClosed()) return false;
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

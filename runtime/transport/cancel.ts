/**
 * The cancel subject of a node (rpc/cancel.ts): `<node subject>.cancel`, carrying `<reply subject>\n<Cid>`.
 * A Go mqant node subscribes its `_INBOX.<nuid>` subject exactly, so it never receives these.
 */
import type { NatsConnection, Subscription } from "nats";
import type { Logger } from "../log/types.js";
import type { Endpoint } from "./endpoint.js";
import type { RPCInfo } from "../codec/envelope.js";

export const CANCEL_SUFFIX = ".cancel";
/** A reply subject and a Cid; anything longer is no cancel of ours. */
const MAX_CANCEL_BYTES = 1024;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * The abort listener of a pending call: tell the callee, then fail the call. It is removed when the call
 * settles, so it only ever fires for a call still waiting.
 */
export function cancelling(nc: NatsConnection, subject: string, req: RPCInfo, log: Logger, fail: () => void): () => void {
  return () => {
    publishCancel(nc, subject, req, log);
    fail();
  };
}

/** Tells the callee its caller gave up. */
function publishCancel(nc: NatsConnection, subject: string, req: RPCInfo, log: Logger): void {
  try {
    nc.publish(`${subject}${CANCEL_SUFFIX}`, utf8.encode(`${req.replyTo}\n${req.cid}`));
  } catch (err) {
    log.debug({ err }, "rpc: cancel not sent");
  }
}

/** Feeds cancels for calls to the node at `address` to its endpoint. */
export function serveCancels(nc: NatsConnection, address: string, server: Endpoint): Subscription {
  return nc.subscribe(`${address}${CANCEL_SUFFIX}`, {
    callback: (err, msg) => {
      if (err !== null || msg.data.length > MAX_CANCEL_BYTES) return;
      const text = utf8Decoder.decode(msg.data);
      const split = text.indexOf("\n");
      if (split > 0) server.cancel?.(text.slice(0, split), text.slice(split + 1));
    },
  });
}

/**
 * Cancellation across the hop: a caller whose AbortSignal fires tells the callee node, which fires the
 * running handler's signal. Over NATS the cancel goes to `<node subject>.cancel` (transport/nats.ts), a
 * subject a Go mqant node never subscribes (it subscribes its `_INBOX.<nuid>` subject exactly), so Go
 * nodes neither see nor log it. A call is named by its reply subject and Cid.
 */
import { AbortedError } from "../errors.js";
import type { HandlerContext } from "./context.js";

/** Cancels remembered for calls whose handler has not read its signal yet (or not started), bounded. */
const REMEMBERED_MAX = 1024;

export function cancelKey(replyTo: string, cid: string): string {
  return `${replyTo} ${cid}`;
}

export class CancelBook {
  private readonly remembered = new Map<string, number>();

  /** Fires the signal of the running call `key`, or remembers the cancel until that call's deadline. */
  cancel(active: Iterable<HandlerContext>, key: string): void {
    for (const ctx of [...active]) {
      if (ctx.cancelKey === key) {
        ctx.abort(new AbortedError("canceled by the caller"));
        return;
      }
    }
    if (this.remembered.size >= REMEMBERED_MAX) {
      const now = Date.now();
      for (const [k, until] of this.remembered) if (until < now) this.remembered.delete(k);
      // Still full: the oldest goes (a Map iterates in insertion order).
      if (this.remembered.size >= REMEMBERED_MAX) this.remembered.delete(this.remembered.keys().next().value as string);
    }
    // Until when it matters: a call lives no longer than its deadline, which the cancel does not carry.
    this.remembered.set(key, Date.now() + 60_000);
  }

  /** The abort reason for a call whose cancel arrived before its handler looked at its signal. */
  reasonFor(ctx: HandlerContext): Error | undefined {
    const key = ctx.cancelKey;
    if (key === undefined || this.remembered.size === 0 || !this.remembered.has(key)) return undefined;
    this.remembered.delete(key);
    return new AbortedError("canceled by the caller");
  }
}

/**
 * The NATS KV registry's watcher: the nodes present at start as `create`, then changes. The server removes
 * expired entries without a notification, so the watcher also drops (as `delete`) an entry not renewed
 * within the TTL, once the stream's leader confirms it is gone. Never sooner: after an outage (nodes could
 * not renew while the stream had no leader) every entry first gets a full TTL of working registry.
 */
import type { KV, KvEntry } from "nats";
import { decodeServiceRecord } from "./encoding.js";
import type { RegistryWatcher, Service } from "./types.js";
import { WatchQueue } from "./watch-queue.js";

/** One key's latest message, as a watch delivered it or the stream's leader has it. */
export interface KvRecord {
  readonly key: string;
  readonly operation: "PUT" | "DEL" | "PURGE";
  /** The message's stream sequence. */
  readonly revision: number;
  /** When the stream stored it (the stream leader's clock), unix ms. */
  readonly created: number;
  readonly value: string;
}

/** What a watcher needs of its registry. */
export interface KvWatchHost {
  /** How often entries are checked, ms. */
  readonly sweepEveryMs: number;
  /** The bucket's max age, ms. */
  bucketTtlMs(): number;
  /** Since when the registry has answered without a failure in between. */
  reachableSince(): number;
  kv(): Promise<KV>;
  /** The key's latest message as the stream's leader has it; null when it has none. Throws when no leader answers. */
  leaderGet(key: string): Promise<KvRecord | null>;
  /** Throws when the registry heard nothing for a while and the stream's leader does not answer now. */
  confirmReachable(): Promise<void>;
  /** The registry answered (a watch started, or delivered a new revision: someone's write went through). */
  answered(): void;
  /** Records a failure (the registry is unreachable until something answers again). */
  failed(error: unknown, what: string): Error;
  /** Calls `restart` after every reconnect of the connection; returns the unsubscribe. */
  onReconnect(restart: () => void): () => void;
  /** False once the registry or its connection is closed. */
  open(): boolean;
  stopped(watcher: RegistryWatcher): void;
}

export function kvRecord(entry: KvEntry): KvRecord {
  return {
    key: entry.key,
    operation: entry.operation,
    revision: entry.revision,
    created: entry.created.getTime(),
    value: entry.operation === "PUT" ? entry.string() : "",
  };
}

/**
 * Whether `record` is a later write than `than`: a higher sequence, or (the stream was created again, so
 * sequences started over) a later store time.
 */
function newer(record: { revision: number; created: number }, than: { revision: number; created: number }): boolean {
  return record.revision > than.revision || record.created > than.created;
}

interface Known {
  readonly value: string;
  readonly record: Service;
  /** Local receive time, not the entry's store time: clocks of other machines may be skewed. */
  readonly seenAt: number;
  readonly revision: number;
  readonly created: number;
}

export function watchKv(host: KvWatchHost, filter: string, service: string | undefined): RegistryWatcher {
  const known = new Map<string, Known>();
  // Entries the stream's leader said were gone. A replica that expires them later (or a new watch bound to
  // it) may still deliver the same message, which must not bring a dead node back into routing.
  const gone = new Map<string, { revision: number; created: number; at: number }>();
  let iterator: { stop(): void } | undefined;
  let retry: NodeJS.Timeout | undefined;
  let generation = 0;
  const queue = new WatchQueue(() => {
    unsubscribe();
    iterator?.stop();
    clearInterval(sweeper);
    if (retry !== undefined) clearTimeout(retry);
    host.stopped(queue);
  });

  const onRecord = (entry: KvRecord): void => {
    const old = known.get(entry.key);
    if (entry.operation !== "PUT") {
      known.delete(entry.key);
      if (old !== undefined) queue.push({ action: "delete", service: old.record });
      return;
    }
    const tomb = gone.get(entry.key);
    if (tomb !== undefined) {
      if (!newer(entry, tomb)) return;
      gone.delete(entry.key);
    }
    // The same message again (a new watch delivers current values) is no renewal: it neither restarts the
    // entry's TTL nor says that its node is alive.
    if (old !== undefined && !newer(entry, old)) return;
    const record = decodeServiceRecord(entry.value);
    if (record === undefined) return;
    if (service !== undefined && record.name !== service) return;
    host.answered();
    known.set(entry.key, { value: entry.value, record, seenAt: Date.now(), revision: entry.revision, created: entry.created });
    if (old === undefined) queue.push({ action: "create", service: record });
    else if (old.value !== entry.value) queue.push({ action: "update", service: record });
    else queue.push({ action: "renew", service: record });
  };

  const expired = (entry: Known): boolean => Date.now() - Math.max(entry.seenAt, host.reachableSince()) > host.bucketTtlMs();

  // An entry not renewed within the TTL is asked of the stream's leader (a direct read may be answered by a
  // replica still catching up): gone (expired, deleted, or the store lost it) is a delete; renewed meanwhile
  // (the watch missed it) an update; no answer means the registry is down, and then nothing is deleted: its
  // nodes may well be alive, and the transport finds those that are not.
  const sweep = async (): Promise<void> => {
    // With nothing known there is nothing an unnoticed outage could make expire.
    if (known.size > 0) await host.confirmReachable();
    for (const [key, tomb] of gone) if (Date.now() - tomb.at > 2 * host.bucketTtlMs()) gone.delete(key);
    let missed = false;
    for (const [key, entry] of [...known].filter(([, entry]) => expired(entry))) {
      const current = await host.leaderGet(key);
      if (queue.isStopped || known.get(key) !== entry || !expired(entry)) continue;
      if (current === null) {
        known.delete(key);
        gone.set(key, { revision: entry.revision, created: entry.created, at: Date.now() });
        queue.push({ action: "delete", service: entry.record });
      } else if (current.operation !== "PUT" || newer(current, entry)) {
        onRecord(current);
        missed = true;
      }
    }
    // A write the watch did not deliver means it may have stopped delivering without ending (its consumer was
    // on a server that lost its store): a new watch delivers every current entry again, new nodes included.
    // An expired entry is no such sign (expiry sends no notification), nor is an unchanged one (its node's
    // renewals fail); neither replaces a working watch, since a new one needs the JetStream meta leader.
    if (missed && !queue.isStopped) restart();
  };
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping || queue.isStopped) return;
    sweeping = true;
    sweep()
      .catch(() => undefined)
      .finally(() => {
        sweeping = false;
      });
  }, host.sweepEveryMs);
  sweeper.unref();

  const start = async (): Promise<void> => {
    const mine = ++generation;
    let entries;
    try {
      entries = await (await host.kv()).watch({ key: filter });
    } catch (error) {
      throw host.failed(error, `watch ${filter}`);
    }
    host.answered();
    if (queue.isStopped || mine !== generation) {
      entries.stop();
      return;
    }
    iterator = entries;
    for await (const entry of entries) {
      if (queue.isStopped || mine !== generation) break;
      onRecord(kvRecord(entry));
    }
  };
  // After a reconnect the old consumer may be gone without the iterator ending: replace it. The new watch
  // delivers current values again; unchanged ones produce no event, missing ones expire through the sweep.
  const restart = (): void => {
    generation++;
    iterator?.stop();
    iterator = undefined;
  };
  const unsubscribe = host.onReconnect(restart);
  const attempt = (): void => {
    start()
      .catch(() => undefined)
      .finally(() => {
        // The watch ends when its consumer is lost (e.g. the server restarted): start a new one.
        if (queue.isStopped || !host.open()) return;
        retry = setTimeout(attempt, 250);
        retry.unref();
      });
  };
  attempt();
  return queue;
}

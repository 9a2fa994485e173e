/**
 * Discovery with no extra infrastructure: a JetStream key-value bucket on the same NATS. One key per node
 * holds the go-micro Service JSON (as in etcd); the bucket's max age is the TTL, so a node that stops
 * re-putting its entry every interval disappears on its own.
 *
 * Faults: with `replicas: 3` on a 3-node JetStream cluster the entries survive losing any one server. A
 * store that lost its state (a server back with an empty store) answers puts with "no responders" or
 * "stream not found": every failure drops the cached bucket handle, so the next attempt re-creates the
 * bucket and the node is registered again at its registrar's next try. While the registry does not
 * answer, watchers keep the entries they know: an entry not renewed within the TTL is only reported
 * deleted once the registry confirms it is gone.
 */
import type { KV, KvEntry, NatsConnection as NatsJsConnection } from "nats";
import { BadArgumentError, RegistryError } from "../errors.js";
import type { NatsConnection } from "../nats-connection.js";
import { natsJs } from "../nats-js.js";
import { decodeServiceRecord, encodeServiceRecord, groupByVersion } from "./encoding.js";
import type { RegisterOptions, Registry, RegistryWatcher, Service } from "./types.js";
import { WatchQueue } from "./watch-queue.js";

export interface NatsKvRegistryOptions {
  readonly connection: NatsConnection;
  /** Bucket name (letters, digits, `-`, `_`). */
  readonly bucket?: string;
  /**
   * Entry lifetime, ms: the bucket's max age, fixed when the bucket is created. Nodes should use the same
   * value as their register TTL.
   */
  readonly ttlMs?: number;
  /** JetStream request timeout, ms, so a register fails fast while JetStream is down. */
  readonly requestTimeoutMs?: number;
  /**
   * Copies of the bucket in a JetStream cluster (1, 3 or 5; default 1). Use 3 on a 3-node cluster so the
   * registry survives losing any one server. An existing bucket with fewer copies is raised to this.
   */
  readonly replicas?: number;
}

/**
 * KV keys allow `[-/=.\w]` and `.` separates tokens, so every other byte (and `=`) is written as `=XX`:
 * `helloworld@90c6…` becomes `helloworld=4090c6…`. Reversible, and stays a single token.
 */
export function encodeKvToken(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(char) ? char : "=" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

export function decodeKvToken(token: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === "=" && i + 2 < token.length && /^[0-9A-Fa-f]{2}$/.test(token.slice(i + 1, i + 3))) {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(token.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

export class NatsKvRegistry implements Registry {
  readonly name = "nats-kv";
  readonly bucket: string;
  readonly ttlMs: number;
  private readonly connection: NatsJsConnection;
  private readonly requestTimeoutMs: number;
  readonly replicas: number;
  private kvPromise: Promise<KV> | undefined;
  /** The bucket's actual max age once opened (it may predate this client); entries older than this are gone. */
  private bucketTtlMs: number;
  private readonly watchers = new Set<WatchQueue>();
  /** Restarts every active KV watch: its consumer does not survive a server restart. */
  private readonly onReconnect = new Set<() => void>();
  private monitoring = false;
  private closed = false;
  /**
   * Since when the registry has answered without a failure in between. Nodes cannot renew while it is
   * down, so after an outage each watched entry gets a full TTL of working registry before it can expire.
   */
  private reachableSince = Date.now();
  private reachable = true;

  constructor(options: NatsKvRegistryOptions) {
    this.connection = natsJs(options.connection, "NatsKvRegistry connection");
    this.bucket = options.bucket ?? "mqgen-registry";
    this.ttlMs = options.ttlMs ?? 20_000;
    this.bucketTtlMs = this.ttlMs;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.replicas = options.replicas ?? 1;
    if (![1, 3, 5].includes(this.replicas)) throw new BadArgumentError(`nats-kv replicas must be 1, 3 or 5, got ${this.replicas}`);
    if (!/^[-\w]+$/.test(this.bucket)) throw new BadArgumentError(`invalid KV bucket name "${this.bucket}"`);
  }

  /** Opens (creating when missing) the bucket; a failure is not cached, so the next call tries again. */
  private kv(): Promise<KV> {
    if (this.closed) return Promise.reject(new RegistryError("nats-kv registry is closed"));
    if (this.kvPromise === undefined) {
      const js = this.connection.jetstream({ timeout: this.requestTimeoutMs });
      this.kvPromise = js.views
        .kv(this.bucket, { ttl: this.ttlMs, history: 1, replicas: this.replicas })
        .then(async (kv) => {
          // An existing bucket keeps the max age it was created with, whatever this client asked for.
          const status = await kv.status();
          this.answered();
          if (status.ttl > 0) this.bucketTtlMs = status.ttl;
          if (status.replicas < this.replicas) await this.raiseReplicas(status.streamInfo.config.name);
          return kv;
        })
        .catch((error: unknown) => {
          this.kvPromise = undefined;
          throw this.wrap(error, `open bucket ${this.bucket}`);
        });
    }
    return this.kvPromise;
  }

  /** A bucket created with fewer copies (by an older client, or before the cluster grew) gets more. */
  private async raiseReplicas(stream: string): Promise<void> {
    const jsm = await this.connection.jetstreamManager({ timeout: this.requestTimeoutMs });
    await jsm.streams.update(stream, { num_replicas: this.replicas });
  }

  /**
   * A failed operation may mean the bucket is gone (JetStream lost its state) or its handle is stale:
   * the next operation opens it again, creating it when missing.
   */
  private failed(error: unknown, what: string): RegistryError {
    this.kvPromise = undefined;
    this.reachable = false;
    return this.wrap(error, what);
  }

  private answered(): void {
    if (this.reachable) return;
    this.reachable = true;
    this.reachableSince = Date.now();
  }

  private wrap(error: unknown, what: string): RegistryError {
    if (error instanceof RegistryError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new RegistryError(`nats-kv ${what} failed: ${reason}`, { cause: error });
  }

  private key(serviceName: string, nodeId: string): string {
    return `${encodeKvToken(serviceName)}.${encodeKvToken(nodeId)}`;
  }

  /** Always re-puts: with KV the put itself is the renewal that restarts the entry's max age. */
  async register(service: Service, _options: RegisterOptions): Promise<void> {
    const node = service.nodes[0];
    if (node === undefined || service.nodes.length !== 1) {
      throw new BadArgumentError(`register ${service.name}: exactly one node expected, got ${service.nodes.length}`);
    }
    const kv = await this.kv();
    const key = this.key(service.name, node.id);
    try {
      await kv.put(key, encodeServiceRecord(service));
      this.answered();
    } catch (error) {
      throw this.failed(error, `put ${key}`);
    }
  }

  async deregister(service: Service): Promise<void> {
    const kv = await this.kv();
    for (const node of service.nodes) {
      const key = this.key(service.name, node.id);
      try {
        await kv.delete(key);
      } catch (error) {
        throw this.failed(error, `delete ${key}`);
      }
    }
  }

  private async read(filter: string): Promise<Service[]> {
    const kv = await this.kv();
    const records: Service[] = [];
    try {
      const keys: string[] = [];
      // Bounded: a key listing that never completes must become an error, not a lookup that hangs.
      const lister = await kv.keys(filter);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        lister.stop();
      }, this.requestTimeoutMs);
      try {
        for await (const key of lister) keys.push(key);
      } finally {
        clearTimeout(timer);
      }
      if (timedOut) throw new RegistryError(`nats-kv: listing ${filter} took longer than ${this.requestTimeoutMs} ms`);
      for (const key of keys) {
        const entry = await kv.get(key);
        if (entry === null || entry.operation !== "PUT") continue;
        const record = decodeServiceRecord(entry.string());
        if (record !== undefined) records.push(record);
      }
      this.answered();
    } catch (error) {
      throw this.failed(error, `read ${filter}`);
    }
    return records;
  }

  async getService(name: string): Promise<Service[]> {
    const records = await this.read(`${encodeKvToken(name)}.>`);
    return groupByVersion(records.filter((record) => record.name === name));
  }

  async listServices(): Promise<Service[]> {
    return groupByVersion(await this.read(">"));
  }

  /**
   * Reports the nodes present at start as `create`, then changes. Entries that expire are removed by the
   * server without a notification, so the watcher also drops (as `delete`) any node not re-put within the TTL.
   */
  watch(options: { readonly service?: string } = {}): RegistryWatcher {
    const filter = options.service !== undefined ? `${encodeKvToken(options.service)}.>` : ">";
    const known = new Map<string, { value: string; record: Service; seenAt: number; revision: number }>();
    let iterator: { stop(): void } | undefined;
    let sweeper: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    const queue = new WatchQueue(() => {
      this.watchers.delete(queue);
      this.onReconnect.delete(restart);
      iterator?.stop();
      if (sweeper !== undefined) clearInterval(sweeper);
      if (retry !== undefined) clearTimeout(retry);
    });
    this.watchers.add(queue);

    const onEntry = (entry: KvEntry): void => {
      if (entry.operation !== "PUT") {
        const old = known.get(entry.key);
        known.delete(entry.key);
        if (old !== undefined) queue.push({ action: "delete", service: old.record });
        return;
      }
      const value = entry.string();
      const record = decodeServiceRecord(value);
      if (record === undefined) return;
      if (options.service !== undefined && record.name !== options.service) return;
      const old = known.get(entry.key);
      // Local receive time, not the entry's server timestamp: clocks of other machines may be skewed.
      known.set(entry.key, { value, record, seenAt: Date.now(), revision: entry.revision });
      if (old === undefined) queue.push({ action: "create", service: record });
      else if (old.value !== value) queue.push({ action: "update", service: record });
      else queue.push({ action: "renew", service: record });
    };

    // An entry not renewed within the TTL is asked for: gone (expired, deleted, or the store lost it) is a
    // delete; renewed meanwhile (the watch missed it) an update; no answer means the registry is down, and
    // then nothing is deleted: its nodes may well be alive, and the transport finds those that are not.
    let sweeping = false;
    const sweep = async (): Promise<void> => {
      const now = Date.now();
      const since = this.reachableSince;
      const stale = [...known].filter(([, entry]) => now - Math.max(entry.seenAt, since) > this.bucketTtlMs);
      if (stale.length === 0) return;
      const kv = await this.kv();
      let missed = false;
      for (const [key, entry] of stale) {
        let current: KvEntry | null;
        try {
          current = await kv.get(key);
          this.answered();
        } catch (error) {
          throw this.failed(error, `get ${key}`);
        }
        if (queue.isStopped || known.get(key) !== entry) continue;
        // The registry may have just come back: the entry's TTL of working registry starts now.
        if (Date.now() - Math.max(entry.seenAt, this.reachableSince) <= this.bucketTtlMs) continue;
        if (current === null || current.operation !== "PUT") {
          known.delete(key);
          queue.push({ action: "delete", service: entry.record });
          missed = true;
        } else if (current.revision !== entry.revision) {
          onEntry(current);
          missed = true;
        }
      }
      // A read that differs from what the watch delivered means the watch may have stopped delivering without
      // ending (its consumer was on a server that lost its store), or the read came from a replica still
      // catching up: a new watch delivers every current entry again, new nodes included. An unchanged entry
      // (its node's renewals are failing) leaves a working watch alone, since a new one needs the meta leader.
      if (missed && !queue.isStopped) restart();
    };
    const runSweep = (): void => {
      if (sweeping || queue.isStopped) return;
      sweeping = true;
      sweep()
        .catch(() => undefined)
        .finally(() => {
          sweeping = false;
        });
    };
    sweeper = setInterval(runSweep, Math.max(100, Math.min(1000, this.ttlMs / 4)));
    sweeper.unref();

    let generation = 0;
    const start = async (): Promise<void> => {
      const mine = ++generation;
      const kv = await this.kv();
      const entries = await kv.watch({ key: filter });
      this.answered();
      if (queue.isStopped || mine !== generation) {
        entries.stop();
        return;
      }
      iterator = entries;
      for await (const entry of entries) {
        if (queue.isStopped || mine !== generation) break;
        onEntry(entry);
      }
    };
    // After a reconnect the old consumer may be gone without the iterator ending: replace it. The new watch
    // delivers current values again; unchanged ones produce no event, missing ones expire through the sweep.
    const restart = (): void => {
      generation++;
      iterator?.stop();
      iterator = undefined;
    };
    this.onReconnect.add(restart);
    this.monitorStatus();
    const attempt = (): void => {
      start()
        .catch(() => undefined)
        .finally(() => {
          // The watch ends when its consumer is lost (e.g. the server restarted): start a new one.
          if (queue.isStopped || this.closed || this.connection.isClosed()) return;
          retry = setTimeout(attempt, 250);
          retry.unref();
        });
    };
    attempt();
    return queue;
  }

  private monitorStatus(): void {
    if (this.monitoring) return;
    this.monitoring = true;
    void (async () => {
      for await (const event of this.connection.status()) {
        if (this.closed) break;
        if (event.type === "reconnect") for (const restart of [...this.onReconnect]) restart();
      }
    })().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of [...this.watchers]) watcher.stop();
  }
}

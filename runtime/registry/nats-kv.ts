/**
 * Discovery with no extra infrastructure: a JetStream key-value bucket on the same NATS. One key per node
 * holds the go-micro Service JSON (as in etcd); the bucket's max age is the TTL, so a node that stops
 * re-putting its entry every interval disappears on its own.
 *
 * Faults: with `replicas: 3` on a 3-node JetStream cluster the entries survive losing any one server
 * (for as long as the stream is without a leader, nodes cannot renew: a failover longer than the TTL lets
 * entries expire, and each node puts its entry again at its registrar's next try). A store that lost its
 * state answers puts with "no responders" or "stream not found": the bucket is then created again. While
 * the registry does not answer, watchers keep the entries they know (see nats-kv-watch.ts).
 */
import type { JetStreamManager, KV, NatsConnection as NatsJsConnection } from "nats";
import { BadArgumentError, RegistryError } from "../errors.js";
import type { NatsConnection } from "../nats-connection.js";
import { natsJs } from "../nats-js.js";
import { decodeServiceRecord, encodeServiceRecord, groupByVersion } from "./encoding.js";
import { watchKv, type KvRecord, type KvWatchHost } from "./nats-kv-watch.js";
import type { RegisterOptions, Registry, RegistryWatcher, Service } from "./types.js";

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
  private managerPromise: Promise<JetStreamManager> | undefined;
  private recreating = false;
  /** The bucket's actual max age once opened (it may predate this client); entries older than this are gone. */
  private bucketTtlMs: number;
  private readonly watchers = new Set<RegistryWatcher>();
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
  /** When anything last answered (an operation, a watch delivering a new revision). */
  private heardAt = Date.now();
  private probing: Promise<void> | undefined;
  private readonly host: KvWatchHost;

  constructor(options: NatsKvRegistryOptions) {
    this.connection = natsJs(options.connection, "NatsKvRegistry connection");
    this.bucket = options.bucket ?? "mqgen-registry";
    this.ttlMs = options.ttlMs ?? 20_000;
    this.bucketTtlMs = this.ttlMs;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.replicas = options.replicas ?? 1;
    if (![1, 3, 5].includes(this.replicas)) throw new BadArgumentError(`nats-kv replicas must be 1, 3 or 5, got ${this.replicas}`);
    if (!/^[-\w]+$/.test(this.bucket)) throw new BadArgumentError(`invalid KV bucket name "${this.bucket}"`);
    this.host = {
      sweepEveryMs: Math.max(100, Math.min(1000, this.ttlMs / 4)),
      bucketTtlMs: () => this.bucketTtlMs,
      reachableSince: () => this.reachableSince,
      kv: () => this.kv(),
      leaderGet: (key) => this.leaderGet(key),
      confirmReachable: () => this.confirmReachable(),
      answered: () => this.answered(),
      failed: (error, what) => this.failed(error, what),
      onReconnect: (restart) => {
        this.onReconnect.add(restart);
        this.monitorStatus();
        return () => this.onReconnect.delete(restart);
      },
      open: () => !this.closed && !this.connection.isClosed(),
      stopped: (watcher) => this.watchers.delete(watcher),
    };
  }

  /**
   * The bucket, opened (created when missing) once and then kept: the handle names the bucket's subjects
   * and stream, which a bucket created again keeps. A failed open is not cached, so the next call tries again.
   */
  private kv(): Promise<KV> {
    if (this.closed) return Promise.reject(new RegistryError("nats-kv registry is closed"));
    if (this.kvPromise === undefined) {
      this.kvPromise = this.open().catch((error: unknown) => {
        this.kvPromise = undefined;
        throw this.wrap(error, `open bucket ${this.bucket}`);
      });
    }
    return this.kvPromise;
  }

  private async open(): Promise<KV> {
    const js = this.connection.jetstream({ timeout: this.requestTimeoutMs });
    const kv = await js.views.kv(this.bucket, { ttl: this.ttlMs, history: 1, replicas: this.replicas });
    // An existing bucket keeps the max age it was created with, whatever this client asked for.
    const status = await kv.status();
    this.answered();
    if (status.ttl > 0) this.bucketTtlMs = status.ttl;
    if (status.replicas < this.replicas) await this.raiseReplicas(status.streamInfo.config.name);
    return kv;
  }

  /** Without the API check: that asks the JetStream meta leader, which a leader read does not need. */
  private manager(): Promise<JetStreamManager> {
    this.managerPromise ??= this.connection.jetstreamManager({ timeout: this.requestTimeoutMs, checkAPI: false }).catch((error: unknown) => {
      this.managerPromise = undefined;
      throw error;
    });
    return this.managerPromise;
  }

  /** A bucket created with fewer copies (by an older client, or before the cluster grew) gets more. */
  private async raiseReplicas(stream: string): Promise<void> {
    await (await this.manager()).streams.update(stream, { num_replicas: this.replicas });
  }

  /**
   * A failed operation: the registry counts as unreachable until something answers again. When no stream
   * took the request, the bucket may be gone (JetStream lost its state) and is created again in the
   * background; operations meanwhile go on with the handle they have, because a put needs only the stream's
   * leader, while opening needs the meta leader too, which after a failover often answers seconds later.
   */
  private failed(error: unknown, what: string): RegistryError {
    this.reachable = false;
    if (mayBeMissing(error) && this.kvPromise !== undefined && !this.recreating && !this.closed) {
      this.recreating = true;
      this.open()
        .catch(() => undefined)
        .finally(() => {
          this.recreating = false;
        });
    }
    return this.wrap(error, what);
  }

  private answered(): void {
    this.heardAt = Date.now();
    if (this.reachable) return;
    this.reachable = true;
    this.reachableSince = this.heardAt;
  }

  private wrap(error: unknown, what: string): RegistryError {
    if (error instanceof RegistryError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new RegistryError(`nats-kv ${what} failed: ${reason}`, { cause: error });
  }

  private key(serviceName: string, nodeId: string): string {
    return `${encodeKvToken(serviceName)}.${encodeKvToken(nodeId)}`;
  }

  /**
   * The key's latest message as the stream's leader has it. Direct reads are answered by any replica,
   * one still catching up after a restart included, and keep being answered while the stream has no
   * leader; only the leader's answer tells that an entry is gone, and that nodes can write.
   */
  private async leaderGet(key: string): Promise<KvRecord | null> {
    try {
      const jsm = await this.manager();
      const msg = await jsm.streams.getMessage(`KV_${this.bucket}`, { last_by_subj: `$KV.${this.bucket}.${key}` });
      this.answered();
      const operation = msg.header.get("KV-Operation");
      return {
        key,
        operation: operation === "DEL" || operation === "PURGE" ? operation : "PUT",
        revision: msg.seq,
        created: msg.time.getTime(),
        value: msg.string(),
      };
    } catch (error) {
      if (jsErrorCode(error) === JS_NO_MESSAGE) {
        this.answered();
        return null;
      }
      throw this.failed(error, `get ${key} from the stream leader`);
    }
  }

  /**
   * A watch delivers nothing while no node can renew, and direct reads do not notice that the stream lost
   * its leader: so after a quiet quarter TTL the stream's leader is asked (for a key nobody writes). An
   * outage a quiet watcher would otherwise sleep through is then seen as one, and every entry gets a full
   * TTL after it, instead of expiring the moment the registry is back and before its node could renew.
   */
  private confirmReachable(): Promise<void> {
    if (Date.now() - this.heardAt < Math.max(this.host.sweepEveryMs, this.bucketTtlMs / 4)) return Promise.resolve();
    this.probing ??= this.leaderGet(PROBE_KEY)
      .then(() => undefined)
      .finally(() => {
        this.probing = undefined;
      });
    return this.probing;
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
   * Reports the nodes present at start as `create`, then changes; entries that expire are reported as
   * `delete` once the stream's leader confirms them gone (see nats-kv-watch.ts).
   */
  watch(options: { readonly service?: string } = {}): RegistryWatcher {
    const filter = options.service !== undefined ? `${encodeKvToken(options.service)}.>` : ">";
    const watcher = watchKv(this.host, filter, options.service);
    this.watchers.add(watcher);
    return watcher;
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

/** JetStream API error codes (`err_code`). */
const JS_NO_MESSAGE = 10037;
const JS_STREAM_NOT_FOUND = 10059;
/** A key no node writes (node keys have two tokens), read to ask whether the stream's leader answers. */
const PROBE_KEY = "mqgen-probe";

function jsErrorCode(error: unknown): number | undefined {
  const api = (error as { api_error?: { err_code?: unknown } } | null)?.api_error;
  return typeof api?.err_code === "number" ? api.err_code : undefined;
}

/** No stream took the request: no responders on its subject, or JetStream says there is no such stream. */
function mayBeMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "503" || jsErrorCode(error) === JS_STREAM_NOT_FOUND;
}

/**
 * etcd v3 registry in mqant v1.5.3's format (registry/etcdv3): key `/mqant-registry/<service>/<nodeId>`,
 * value the go-micro Service JSON with one node, attached to a lease whose TTL is the register TTL. A changed
 * record is put under a newly granted lease; an unchanged one only keeps its lease alive. Go mqant nodes and
 * mqgen nodes on one etcd see each other.
 */
import type { Etcd3, IKeyValue, Lease, Watcher as EtcdWatcher } from "etcd3";
import { BadArgumentError, RegistryError } from "../errors.js";
import { decodeServiceRecord, encodeServiceRecord, etcdNodeKey, groupByVersion } from "./encoding.js";
import type { RegisterOptions, Registry, RegistryWatcher, Service } from "./types.js";
import { WatchQueue } from "./watch-queue.js";

export interface EtcdRegistryOptions {
  /** etcd endpoints, `host:port` or `http://host:port`; default `127.0.0.1:2379` (as mqant). */
  readonly hosts?: string | readonly string[];
  /** Key prefix; mqant's is `/mqant-registry/`. */
  readonly prefix?: string;
  readonly auth?: { readonly username: string; readonly password: string };
  /** Deadline of each request, ms, so a down etcd fails a register fast instead of hanging. */
  readonly requestTimeoutMs?: number;
}

interface Registration {
  readonly value: string;
  readonly lease: Lease;
}

const MQANT_PREFIX = "/mqant-registry/";

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RegistryError(`etcd ${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class EtcdRegistry implements Registry {
  readonly name = "etcd";
  readonly prefix: string;
  /** etcd3 (with gRPC) takes ~300 ms to load, so it is loaded on first use, not when mqgen/runtime is imported. */
  private readonly clientPromise: Promise<Etcd3>;
  private readonly requestTimeoutMs: number;
  private readonly registrations = new Map<string, Registration>();
  private readonly watchers = new Set<WatchQueue>();
  private closed = false;

  constructor(options: EtcdRegistryOptions = {}) {
    this.prefix = options.prefix ?? MQANT_PREFIX;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    const hosts = options.hosts ?? "127.0.0.1:2379";
    const timeoutMs = this.requestTimeoutMs;
    this.clientPromise = Promise.all([import("etcd3"), import("cockatiel")]).then(
      ([{ Etcd3: Client }, { noop }]) =>
        new Client({
          hosts: typeof hosts === "string" ? hosts : [...hosts],
          ...(options.auth !== undefined ? { auth: { username: options.auth.username, password: options.auth.password } } : {}),
          // The registrar above retries every interval; etcd3's circuit breaker would keep refusing calls for
          // 5 s after etcd comes back, delaying re-registration past one interval.
          faultHandling: { host: () => noop, global: noop },
          defaultCallOptions: (context) => (context.isStream ? {} : { deadline: new Date(Date.now() + timeoutMs) }),
        }),
    );
  }

  private wrap(error: unknown, what: string): RegistryError {
    if (error instanceof RegistryError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new RegistryError(`etcd ${what} failed: ${reason}`, { cause: error });
  }

  async register(service: Service, options: RegisterOptions): Promise<void> {
    if (this.closed) throw new RegistryError("etcd registry is closed");
    const node = service.nodes[0];
    if (node === undefined || service.nodes.length !== 1) {
      throw new BadArgumentError(`register ${service.name}: exactly one node expected, got ${service.nodes.length}`);
    }
    const key = etcdNodeKey(this.prefix, service.name, node.id);
    const value = encodeServiceRecord(service);
    const existing = this.registrations.get(key);
    let leaseLost = false;
    if (existing !== undefined) {
      try {
        await withTimeout(existing.lease.keepaliveOnce(), this.requestTimeoutMs, "lease keep-alive");
      } catch (error) {
        const { EtcdLeaseInvalidError } = await import("etcd3");
        if (!(error instanceof EtcdLeaseInvalidError)) throw this.wrap(error, "lease keep-alive");
        leaseLost = true;
      }
      if (existing.value === value && !leaseLost) return;
    }
    const ttlSeconds = Math.max(1, Math.round(options.ttlMs / 1000));
    const client = await this.clientPromise;
    const lease = client.lease(ttlSeconds, { autoKeepAlive: false });
    // A lease whose grant failed reports it through "lost"; the failed put below reports it to the caller.
    lease.on("lost", () => undefined);
    try {
      await withTimeout(lease.put(key).value(value).exec(), this.requestTimeoutMs, `put ${key}`);
    } catch (error) {
      void lease.release();
      throw this.wrap(error, `put ${key}`);
    }
    if (existing !== undefined) void existing.lease.release();
    this.registrations.set(key, { value, lease });
  }

  async deregister(service: Service): Promise<void> {
    for (const node of service.nodes) {
      const key = etcdNodeKey(this.prefix, service.name, node.id);
      const existing = this.registrations.get(key);
      this.registrations.delete(key);
      if (existing !== undefined) void existing.lease.release();
      try {
        await (await this.clientPromise).delete().key(key).exec();
      } catch (error) {
        throw this.wrap(error, `delete ${key}`);
      }
    }
  }

  private async readPrefix(prefix: string): Promise<{ records: Service[]; revision: string }> {
    try {
      const response = await (await this.clientPromise).getAll().prefix(prefix).exec();
      const records: Service[] = [];
      for (const kv of response.kvs) {
        const record = decodeServiceRecord(kv.value.toString("utf8"));
        if (record !== undefined) records.push(record);
      }
      return { records, revision: response.header.revision };
    } catch (error) {
      throw this.wrap(error, `range ${prefix}`);
    }
  }

  private servicePrefix(name: string): string {
    return `${this.prefix}${name.replace(/\//g, "-")}/`;
  }

  async getService(name: string): Promise<Service[]> {
    const { records } = await this.readPrefix(this.servicePrefix(name));
    return groupByVersion(records.filter((record) => record.name === name));
  }

  async listServices(): Promise<Service[]> {
    const { records } = await this.readPrefix(this.prefix);
    return groupByVersion(records);
  }

  /**
   * Every node present when the watch starts is reported as `create`, then each change after that revision
   * (a lease expiry arrives as `delete`).
   */
  watch(options: { readonly service?: string } = {}): RegistryWatcher {
    const prefix = options.service !== undefined ? this.servicePrefix(options.service) : this.prefix;
    let etcdWatcher: EtcdWatcher | undefined;
    const known = new Map<string, Service>();
    const queue = new WatchQueue(() => {
      this.watchers.delete(queue);
      void etcdWatcher?.cancel().catch(() => undefined);
    });
    this.watchers.add(queue);

    const accept = (record: Service | undefined): record is Service =>
      record !== undefined && (options.service === undefined || record.name === options.service);

    // Reads the prefix, reports the difference to what this watcher already reported, then watches from
    // that revision. Run at start and again whenever the etcd watch breaks (e.g. etcd lost its data and its
    // revisions restarted), so a watcher never silently stops.
    const sync = async (): Promise<void> => {
      const { records, revision } = await this.readPrefixWithKeys(prefix);
      if (queue.isStopped) return;
      const seen = new Set<string>();
      for (const { key, record } of records) {
        if (!accept(record)) continue;
        seen.add(key);
        const old = known.get(key);
        known.set(key, record);
        if (old === undefined) queue.push({ action: "create", service: record });
        else if (JSON.stringify(old) !== JSON.stringify(record)) queue.push({ action: "update", service: record });
      }
      for (const [key, record] of [...known]) {
        if (seen.has(key)) continue;
        known.delete(key);
        queue.push({ action: "delete", service: record });
      }
      const watcher = await (await this.clientPromise)
        .watch()
        .prefix(prefix)
        .startRevision(String(BigInt(revision) + 1n))
        .create();
      if (queue.isStopped) {
        await watcher.cancel();
        return;
      }
      etcdWatcher = watcher;
      watcher.on("put", (kv: IKeyValue) => {
        const key = kv.key.toString("utf8");
        const record = decodeServiceRecord(kv.value.toString("utf8"));
        if (!accept(record)) return;
        const action = kv.create_revision === kv.mod_revision || !known.has(key) ? "create" : "update";
        known.set(key, record);
        queue.push({ action, service: record });
      });
      watcher.on("delete", (kv: IKeyValue) => {
        const key = kv.key.toString("utf8");
        const record = known.get(key);
        known.delete(key);
        if (record !== undefined) queue.push({ action: "delete", service: record });
      });
      let resyncing = false;
      const resync = (): void => {
        if (resyncing || queue.isStopped || this.closed) return;
        resyncing = true;
        if (etcdWatcher === watcher) etcdWatcher = undefined;
        void watcher.cancel().catch(() => undefined);
        attempt();
      };
      // etcd3 re-attaches the watch after a reconnect by itself; re-reading also covers what changed while
      // disconnected and a restart that reset revisions (which cancels the watch with an error).
      let connections = 0;
      watcher.on("connected", () => {
        if (++connections > 1) resync();
      });
      watcher.on("error", resync);
      watcher.on("end", resync);
    };

    const attempt = (): void => {
      sync().catch(() => {
        if (queue.isStopped || this.closed) return;
        setTimeout(attempt, 500).unref();
      });
    };
    attempt();
    return queue;
  }

  private async readPrefixWithKeys(prefix: string): Promise<{ records: { key: string; record: Service }[]; revision: string }> {
    const response = await (await this.clientPromise).getAll().prefix(prefix).exec();
    const records: { key: string; record: Service }[] = [];
    for (const kv of response.kvs) {
      const record = decodeServiceRecord(kv.value.toString("utf8"));
      if (record !== undefined) records.push({ key: kv.key.toString("utf8"), record });
    }
    return { records, revision: response.header.revision };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of [...this.watchers]) watcher.stop();
    for (const registration of this.registrations.values()) void registration.lease.release();
    this.registrations.clear();
    (await this.clientPromise).close();
  }
}

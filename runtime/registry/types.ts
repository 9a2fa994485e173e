/**
 * One registry interface for Consul, etcd, NATS KV and memory. Shapes follow mqant's go-micro port
 * (registry/service.go) so the same JSON is written where mqant writes JSON (etcd).
 */
export interface ServiceNode {
  /** `<moduleType>@<16 hex>`; also the Consul service ID. */
  readonly id: string;
  /** The node's NATS subject (`_INBOX.<nuid>`), or `local:<id>` for in-process only nodes. */
  readonly address: string;
  readonly port: number;
  /** Always hostname, pid, version (and schema hashes); plus user metadata. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface Service {
  /** Module type. */
  readonly name: string;
  readonly version: string;
  readonly metadata: Readonly<Record<string, string>> | null;
  readonly nodes: readonly ServiceNode[];
}

/**
 * `renew`: the node registered again with an unchanged record, a sign of life (registries that cannot see
 * renewals never send it); consumers that only track records may ignore it.
 */
export type WatchAction = "create" | "update" | "delete" | "renew";

export interface WatchEvent {
  readonly action: WatchAction;
  /** The service with the affected node(s). */
  readonly service: Service;
}

export interface RegisterOptions {
  /** How long the entry lives without renewal, ms. */
  readonly ttlMs: number;
}

export interface RegistryWatcher {
  /** Async iteration ends when `stop()` is called or the registry is closed. */
  [Symbol.asyncIterator](): AsyncIterator<WatchEvent>;
  stop(): void;
}

export interface Registry {
  /** "memory", "nats-kv", "consul", "etcd". */
  readonly name: string;
  /**
   * Registers a service with exactly one node, or renews it. Registries re-send the full record only when
   * it changed since the last call and otherwise just renew the TTL.
   */
  register(service: Service, options: RegisterOptions): Promise<void>;
  deregister(service: Service): Promise<void>;
  /** All live versions of a service (each with its nodes); empty when none. */
  getService(name: string): Promise<Service[]>;
  listServices(): Promise<Service[]>;
  /** Changes to one service, or to all when `service` is omitted. */
  watch(options?: { readonly service?: string }): RegistryWatcher;
  close(): Promise<void>;
}

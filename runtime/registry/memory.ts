/**
 * A Registry for one process: several apps (or tests) in the same process share an instance. Entries
 * expire when not renewed within their TTL, like the networked registries, so registrar and selector code
 * paths behave the same here as with Consul.
 */
import { RegistryError } from "../errors.js";
import type { RegisterOptions, Registry, RegistryWatcher, Service, ServiceNode, WatchEvent } from "./types.js";

interface Entry {
  service: Service;
  node: ServiceNode;
  timer: NodeJS.Timeout;
  record: string;
}

/** An async-iterable queue of watch events; shared by the in-memory and networked registries' tests. */
export class EventQueue implements RegistryWatcher {
  private readonly buffered: WatchEvent[] = [];
  private waiting: ((result: IteratorResult<WatchEvent>) => void) | undefined;
  private stopped = false;
  constructor(private readonly onStop?: () => void) {}

  push(event: WatchEvent): void {
    if (this.stopped) return;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      waiting({ value: event, done: false });
    } else {
      this.buffered.push(event);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop?.();
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => {
        const event = this.buffered.shift();
        if (event !== undefined) return Promise.resolve({ value: event, done: false });
        if (this.stopped) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

export class MemoryRegistry implements Registry {
  readonly name = "memory";
  /** service name → node id → entry */
  private readonly services = new Map<string, Map<string, Entry>>();
  private readonly watchers = new Set<{ service: string | undefined; queue: EventQueue }>();
  private closed = false;

  async register(service: Service, options: RegisterOptions): Promise<void> {
    if (this.closed) throw new RegistryError("memory registry closed");
    if (service.nodes.length !== 1) throw new RegistryError(`register ${service.name}: expected exactly one node, got ${service.nodes.length}`);
    const node = service.nodes[0] as ServiceNode;
    let byId = this.services.get(service.name);
    if (byId === undefined) {
      byId = new Map();
      this.services.set(service.name, byId);
    }
    const record = JSON.stringify([service.version, service.metadata, node]);
    const existing = byId.get(node.id);
    if (existing !== undefined) clearTimeout(existing.timer);
    const timer = setTimeout(() => this.expire(service.name, node.id), options.ttlMs);
    timer.unref();
    byId.set(node.id, { service: { ...service, nodes: [node] }, node, timer, record });
    if (existing === undefined) this.emit("create", service);
    else if (existing.record !== record) this.emit("update", service);
    else this.emit("renew", service);
  }

  async deregister(service: Service): Promise<void> {
    const byId = this.services.get(service.name);
    if (byId === undefined) return;
    for (const node of service.nodes) {
      const entry = byId.get(node.id);
      if (entry === undefined) continue;
      clearTimeout(entry.timer);
      byId.delete(node.id);
      this.emit("delete", entry.service);
    }
  }

  private expire(name: string, nodeId: string): void {
    const entry = this.services.get(name)?.get(nodeId);
    if (entry === undefined) return;
    this.services.get(name)?.delete(nodeId);
    this.emit("delete", entry.service);
  }

  async getService(name: string): Promise<Service[]> {
    const byId = this.services.get(name);
    if (byId === undefined || byId.size === 0) return [];
    const byVersion = new Map<string, { metadata: Service["metadata"]; nodes: ServiceNode[] }>();
    for (const entry of byId.values()) {
      let group = byVersion.get(entry.service.version);
      if (group === undefined) {
        group = { metadata: entry.service.metadata, nodes: [] };
        byVersion.set(entry.service.version, group);
      }
      group.nodes.push(entry.node);
    }
    return [...byVersion].map(([version, group]) => ({ name, version, metadata: group.metadata, nodes: group.nodes }));
  }

  async listServices(): Promise<Service[]> {
    const out: Service[] = [];
    for (const name of this.services.keys()) out.push(...(await this.getService(name)));
    return out;
  }

  watch(options?: { readonly service?: string }): RegistryWatcher {
    const watcher = { service: options?.service, queue: undefined as unknown as EventQueue };
    watcher.queue = new EventQueue(() => this.watchers.delete(watcher));
    this.watchers.add(watcher);
    if (this.closed) watcher.queue.stop();
    return watcher.queue;
  }

  private emit(action: WatchEvent["action"], service: Service): void {
    for (const watcher of this.watchers) {
      if (watcher.service === undefined || watcher.service === service.name) watcher.queue.push({ action, service });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const byId of this.services.values()) for (const entry of byId.values()) clearTimeout(entry.timer);
    this.services.clear();
    for (const watcher of [...this.watchers]) watcher.queue.stop();
  }
}

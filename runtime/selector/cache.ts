/**
 * Per module type, the nodes the registry knows, filled on first use and kept current by the registry's
 * watch (mqant's cache selector). A node the transport found dead (NATS no-responders) leaves at once and
 * stays out for a while even if a stale registry still lists it, unless the registry announces it again.
 */
import type { Logger } from "pino";
import type { Registry, RegistryWatcher, ServiceNode, WatchEvent } from "../registry/types.js";

interface TypeCache {
  nodes: ServiceNode[];
  byId: Map<string, ServiceNode>;
  fetchedAt: number;
  watcher: RegistryWatcher | undefined;
  loading: Promise<void> | undefined;
}

export interface NodeCacheOptions {
  readonly registry: Registry;
  /** Re-read the registry after this long even if the watch was quiet (mqant: 1 min). */
  readonly ttlMs?: number;
  /** How long a node reported dead stays out of the cache unless re-announced. */
  readonly deadMs?: number;
  readonly log?: Logger;
}

export class NodeCache {
  private readonly types = new Map<string, TypeCache>();
  private readonly dead = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly deadMs: number;
  private closed = false;
  private peeks = 0;

  constructor(private readonly options: NodeCacheOptions) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.deadMs = options.deadMs ?? 20_000;
  }

  /** The cached nodes of a type, or undefined when not loaded yet (or stale). Never waits. */
  peek(type: string): readonly ServiceNode[] | undefined {
    const cache = this.types.get(type);
    if (cache === undefined || cache.loading !== undefined) return undefined;
    // The watch keeps entries current; the periodic re-read is a safety net, so the clock is read only
    // every 256th selection to keep the per-call cost down.
    if ((++this.peeks & 255) === 0 && Date.now() - cache.fetchedAt > this.ttlMs) {
      void this.load(type, cache).catch((err: unknown) => this.options.log?.warn({ err }, `selector: refresh ${type} failed`));
    }
    return cache.nodes;
  }

  /** The nodes of a type, loading them from the registry on first use or when none are cached. */
  async nodes(type: string): Promise<readonly ServiceNode[]> {
    let cache = this.types.get(type);
    if (cache === undefined) {
      cache = { nodes: [], byId: new Map(), fetchedAt: 0, watcher: undefined, loading: undefined };
      this.types.set(type, cache);
      this.startWatch(type, cache);
      await this.load(type, cache);
    } else if (cache.loading !== undefined) {
      await cache.loading;
    } else if (cache.nodes.length === 0 || Date.now() - cache.fetchedAt > this.ttlMs) {
      await this.load(type, cache);
    }
    return cache.nodes;
  }

  private load(type: string, cache: TypeCache): Promise<void> {
    if (cache.loading !== undefined) return cache.loading;
    const loading = (async () => {
      try {
        const services = await this.options.registry.getService(type);
        const byId = new Map<string, ServiceNode>();
        const now = Date.now();
        for (const service of services) {
          for (const node of service.nodes) {
            const deadUntil = this.dead.get(node.id);
            if (deadUntil !== undefined && deadUntil > now) continue;
            byId.set(node.id, withVersion(node, service.version));
          }
        }
        cache.byId = byId;
        cache.nodes = [...byId.values()];
        cache.fetchedAt = now;
      } finally {
        cache.loading = undefined;
      }
    })();
    cache.loading = loading;
    return loading;
  }

  private startWatch(type: string, cache: TypeCache): void {
    if (this.closed) return;
    let watcher: RegistryWatcher;
    try {
      watcher = this.options.registry.watch({ service: type });
    } catch (err) {
      this.options.log?.warn({ err }, `selector: watch ${type} failed; relying on periodic refresh`);
      return;
    }
    cache.watcher = watcher;
    void (async () => {
      try {
        for await (const event of watcher) this.apply(cache, event);
      } catch (err) {
        if (!this.closed) this.options.log?.warn({ err }, `selector: watch ${type} ended; relying on periodic refresh`);
      }
    })();
  }

  private apply(cache: TypeCache, event: WatchEvent): void {
    if (event.action === "delete") {
      for (const node of event.service.nodes) cache.byId.delete(node.id);
    } else {
      for (const node of event.service.nodes) {
        this.dead.delete(node.id);
        cache.byId.set(node.id, withVersion(node, event.service.version));
      }
    }
    cache.nodes = [...cache.byId.values()];
  }

  /** The transport found the node gone: drop it now. */
  markDead(nodeId: string): void {
    this.dead.set(nodeId, Date.now() + this.deadMs);
    const type = nodeId.slice(0, nodeId.indexOf("@"));
    const cache = this.types.get(type);
    if (cache !== undefined && cache.byId.delete(nodeId)) cache.nodes = [...cache.byId.values()];
  }

  close(): void {
    this.closed = true;
    for (const cache of this.types.values()) cache.watcher?.stop();
    this.types.clear();
  }
}

/** Nodes carry their service version in metadata so filters see one flat list. */
function withVersion(node: ServiceNode, version: string): ServiceNode {
  if (node.metadata.version === version) return node;
  if (node.metadata.version !== undefined) return node;
  return { ...node, metadata: { ...node.metadata, version } };
}

/**
 * Per module type, the nodes the registry knows, filled on first use and kept current by the registry's
 * watch (mqant's cache selector).
 *
 * A node the transport found dead leaves routing at once but is only a suspect: one "no responders" is
 * as likely a 15 ms blip as a crash. Suspects are probed (when a probe is given) and come back as soon as
 * they answer, or when the registry shows them again (a re-registration, even an unchanged one); a
 * suspect that neither answers nor re-registers within `deadMs` is forgotten, and the registry's TTL
 * removes its entry. A failed registry read never empties the cache: the last known nodes keep serving
 * (and are still probed and dropped when really dead) until the registry answers again.
 */
import type { Logger } from "../log/types.js";
import { AbortedError, DeadlineExceededError, RegistryError } from "../errors.js";
import type { Registry, RegistryWatcher, ServiceNode, WatchEvent } from "../registry/types.js";
import type { LookupLimit, NodeProbe } from "./types.js";

export type { LookupLimit, NodeProbe } from "./types.js";

interface TypeCache {
  nodes: ServiceNode[];
  byId: Map<string, ServiceNode>;
  fetchedAt: number;
  /** The registry answered at least once for this type. */
  loaded: boolean;
  watcher: RegistryWatcher | undefined;
  loading: Promise<void> | undefined;
}

interface Suspect {
  /** The node as routing knew it (undefined when it was not cached when reported). */
  node: ServiceNode | undefined;
  readonly type: string;
  /** When it was reported. */
  readonly since: number;
  readonly until: number;
  probing: boolean;
}

export interface NodeCacheOptions {
  readonly registry: Registry;
  /** Re-read the registry after this long even if the watch was quiet (mqant: 1 min). */
  readonly ttlMs?: number;
  /** How long a node reported dead stays out unless it answers a probe or re-registers. */
  readonly deadMs?: number;
  /** Checks suspects; without one they come back only through the registry or after `deadMs`. */
  readonly probe?: NodeProbe;
  readonly probeEveryMs?: number;
  readonly log?: Logger;
}

/** How long after a node was reported dead a call with nowhere else to go waits for it to come back. */
const RECONNECT_WAIT_MS = 1000;

export class NodeCache {
  private readonly types = new Map<string, TypeCache>();
  private readonly suspects = new Map<string, Suspect>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly ttlMs: number;
  private readonly deadMs: number;
  private readonly probeEveryMs: number;
  private prober: NodeJS.Timeout | undefined;
  private closed = false;
  private peeks = 0;

  constructor(private readonly options: NodeCacheOptions) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.deadMs = options.deadMs ?? 20_000;
    this.probeEveryMs = options.probeEveryMs ?? 200;
  }

  /** The cached nodes of a type, or undefined when not loaded yet (or stale). Never waits. */
  peek(type: string): readonly ServiceNode[] | undefined {
    const cache = this.types.get(type);
    if (cache === undefined || !cache.loaded) return undefined;
    // The watch keeps entries current; the periodic re-read is a safety net, so the clock is read only
    // every 256th selection to keep the per-call cost down.
    if ((++this.peeks & 255) === 0 && cache.loading === undefined && Date.now() - cache.fetchedAt > this.ttlMs) {
      void this.load(type, cache).catch((err: unknown) => this.options.log?.warn({ err }, `selector: refresh ${type} failed; keeping the last known nodes`));
    }
    return cache.nodes;
  }

  /**
   * The nodes of a type, loading them from the registry on first use or when none are cached. Gives up
   * with DeadlineExceededError at `limit.deadline` (the load goes on and fills the cache for later calls).
   */
  async nodes(type: string, limit?: LookupLimit): Promise<readonly ServiceNode[]> {
    if (limit?.deadline !== undefined && this.hasSuspects(type)) return this.nodesOrSuspect(type, limit);
    try {
      const nodes = await this.lookup(type, limit);
      if (nodes.length > 0 || limit?.deadline === undefined || !this.hasSuspects(type)) return nodes;
    } catch (err) {
      if (!(err instanceof RegistryError) || limit?.deadline === undefined || !this.hasSuspects(type)) throw err;
    }
    return this.nodesOrSuspect(type, limit);
  }

  /**
   * Nodes of a type of which some are suspected dead (e.g. both backends rode the server that just died, or
   * this process's own connection dropped): whichever comes first, the registry naming a routable node or a
   * suspect answering again, up to the call's deadline. A registry that does not answer meanwhile is no
   * reason to fail: suspects are usually back within a reconnect.
   */
  private async nodesOrSuspect(type: string, limit: LookupLimit): Promise<readonly ServiceNode[]> {
    const waitUntil = Math.min(limit.deadline ?? Number.POSITIVE_INFINITY, Date.now() + RECONNECT_WAIT_MS);
    const back = this.waitForNodes(type, { ...limit, deadline: waitUntil }).then(
      () => this.types.get(type)?.nodes ?? [],
      // Nobody came back in time: an empty list, so the caller sees "none available" (or its failure).
      (err: unknown) => (err instanceof DeadlineExceededError && Date.now() < (limit.deadline ?? Number.POSITIVE_INFINITY) ? [] : Promise.reject(err)),
    );
    const fromRegistry = this.lookup(type, limit).then(
      (nodes) => (nodes.length > 0 ? nodes : back),
      (err: unknown) => (err instanceof RegistryError ? back : Promise.reject(err)),
    );
    return Promise.race([fromRegistry, back]);
  }

  private async lookup(type: string, limit: LookupLimit | undefined): Promise<readonly ServiceNode[]> {
    let cache = this.types.get(type);
    if (cache === undefined) {
      cache = { nodes: [], byId: new Map(), fetchedAt: 0, loaded: false, watcher: undefined, loading: undefined };
      this.types.set(type, cache);
      this.startWatch(type, cache);
      await bounded(this.load(type, cache), type, limit);
    } else if (cache.loading !== undefined && !cache.loaded) {
      await bounded(cache.loading, type, limit);
    } else if (cache.nodes.length === 0 || Date.now() - cache.fetchedAt > this.ttlMs) {
      const loading = this.load(type, cache);
      if (cache.loaded && cache.nodes.length > 0) {
        // A stale but non-empty list keeps serving while the re-read runs; a failed re-read keeps it.
        loading.catch((err: unknown) => this.options.log?.warn({ err }, `selector: refresh ${type} failed; keeping the last known nodes`));
      } else {
        await bounded(loading, type, limit);
      }
    }
    return cache.nodes;
  }

  private load(type: string, cache: TypeCache): Promise<void> {
    if (cache.loading !== undefined) return cache.loading;
    const loading = (async () => {
      try {
        let services;
        try {
          services = await this.options.registry.getService(type);
        } catch (err) {
          if (err instanceof RegistryError) throw err;
          throw new RegistryError(`registry ${this.options.registry.name}: looking up ${type} failed: ${(err as Error).message}`, { cause: err });
        }
        const byId = new Map<string, ServiceNode>();
        const now = Date.now();
        for (const service of services) {
          for (const node of service.nodes) {
            const versioned = withVersion(node, service.version);
            const suspect = this.suspects.get(node.id);
            if (suspect !== undefined && suspect.until > now) {
              suspect.node = versioned;
              continue;
            }
            byId.set(node.id, versioned);
          }
        }
        cache.byId = byId;
        cache.nodes = [...byId.values()];
        cache.fetchedAt = now;
        cache.loaded = true;
        this.notify(type, cache);
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
      for (const node of event.service.nodes) {
        this.suspects.delete(node.id);
        cache.byId.delete(node.id);
      }
    } else if (event.action === "renew") {
      // An unchanged re-registration matters for a node out of routing: a suspect is alive after all, and a
      // node a registry read left out (it read a replica still catching up, or came while the node's entry
      // had lapsed in an outage) is registered after all; a watch that knew the node sends no create again.
      let changed = false;
      for (const node of event.service.nodes) {
        if (!this.suspects.delete(node.id) && cache.byId.has(node.id)) continue;
        cache.byId.set(node.id, withVersion(node, event.service.version));
        changed = true;
      }
      if (!changed) return;
    } else {
      for (const node of event.service.nodes) {
        this.suspects.delete(node.id);
        cache.byId.set(node.id, withVersion(node, event.service.version));
      }
    }
    cache.nodes = [...cache.byId.values()];
    this.notify(event.service.name, cache);
  }

  /** The transport found the node gone: out of routing now, back as soon as it answers or re-registers. */
  markDead(nodeId: string): void {
    const type = nodeId.slice(0, nodeId.indexOf("@"));
    const cache = this.types.get(type);
    const node = cache?.byId.get(nodeId);
    const known = this.suspects.get(nodeId);
    if (known === undefined || known.until <= Date.now()) {
      this.suspects.set(nodeId, { node: node ?? known?.node, type, since: Date.now(), until: Date.now() + this.deadMs, probing: false });
    }
    if (cache !== undefined && node !== undefined) {
      cache.byId.delete(nodeId);
      cache.nodes = [...cache.byId.values()];
    }
    this.armProber();
  }

  /**
   * Whether a call should wait for a suspect of this type: only where suspects are probed (so one can come
   * back on its own) and only for those reported within the last RECONNECT_WAIT_MS, the time a node takes
   * to reconnect; a node that left on purpose, or stays away, is not waited for.
   */
  private hasSuspects(type: string): boolean {
    if (this.options.probe === undefined) return false;
    const now = Date.now();
    for (const suspect of this.suspects.values()) {
      if (suspect.type === type && suspect.until > now && now - suspect.since < RECONNECT_WAIT_MS) return true;
    }
    return false;
  }

  /** Resolves once the type has a routable node; rejects at the limit. */
  private waitForNodes(type: string, limit: LookupLimit): Promise<void> {
    if ((this.types.get(type)?.nodes.length ?? 0) > 0) return Promise.resolve();
    const ready = new Promise<void>((resolve) => {
      let waiting = this.waiters.get(type);
      if (waiting === undefined) {
        waiting = new Set();
        this.waiters.set(type, waiting);
      }
      waiting.add(resolve);
    });
    return bounded(ready, type, limit);
  }

  private notify(type: string, cache: TypeCache): void {
    if (cache.nodes.length === 0) return;
    const waiting = this.waiters.get(type);
    if (waiting === undefined) return;
    this.waiters.delete(type);
    for (const resolve of waiting) resolve();
  }

  /** A node out of routing because it was reported dead, as routing knew it; undefined otherwise. */
  suspectNode(nodeId: string): ServiceNode | undefined {
    const suspect = this.suspects.get(nodeId);
    return suspect !== undefined && suspect.until > Date.now() ? suspect.node : undefined;
  }

  /** Whether a node is out of routing because it was reported dead (and has not come back yet). */
  isSuspect(nodeId: string): boolean {
    const suspect = this.suspects.get(nodeId);
    return suspect !== undefined && suspect.until > Date.now();
  }

  private armProber(): void {
    if (this.prober !== undefined || this.closed) return;
    this.prober = setInterval(() => this.probeSuspects(), this.probeEveryMs);
    this.prober.unref();
  }

  private probeSuspects(): void {
    const now = Date.now();
    for (const [nodeId, suspect] of this.suspects) {
      if (suspect.until <= now) {
        // Neither answered nor re-registered: forgotten. A registry that still lists it brings it back at
        // the next read, where a call fails fast again if it is really gone.
        this.suspects.delete(nodeId);
        continue;
      }
      const probe = this.options.probe;
      if (probe === undefined || suspect.probing || suspect.node === undefined) continue;
      suspect.probing = true;
      const node = suspect.node;
      probe(node).then(
        (alive) => {
          suspect.probing = false;
          if (alive && this.suspects.get(nodeId) === suspect) this.restore(nodeId, suspect, node);
        },
        () => {
          suspect.probing = false;
        },
      );
    }
    if (this.suspects.size === 0 && this.prober !== undefined) {
      clearInterval(this.prober);
      this.prober = undefined;
    }
  }

  private restore(nodeId: string, suspect: Suspect, node: ServiceNode): void {
    this.suspects.delete(nodeId);
    const cache = this.types.get(suspect.type);
    if (cache === undefined || this.closed) return;
    cache.byId.set(nodeId, node);
    cache.nodes = [...cache.byId.values()];
    this.notify(suspect.type, cache);
    this.options.log?.info(`selector: ${nodeId} answers again; back in routing`);
  }

  close(): void {
    this.closed = true;
    if (this.prober !== undefined) clearInterval(this.prober);
    this.prober = undefined;
    this.suspects.clear();
    this.waiters.clear();
    for (const cache of this.types.values()) cache.watcher?.stop();
    this.types.clear();
  }
}

/** Waits for `work` but no longer than the limit; the work itself goes on. */
function bounded(work: Promise<void>, type: string, limit: LookupLimit | undefined): Promise<void> {
  if (limit === undefined || (limit.deadline === undefined && limit.signal === undefined)) return work;
  const remaining = limit.deadline === undefined ? Number.POSITIVE_INFINITY : limit.deadline - Date.now();
  if (remaining <= 0) {
    work.catch(() => undefined);
    return Promise.reject(new DeadlineExceededError(`deadline exceeded looking up ${type} in the registry`));
  }
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => finish(new AbortedError());
    const finish = (error: Error | undefined): void => {
      if (timer !== undefined) clearTimeout(timer);
      limit.signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    if (Number.isFinite(remaining)) {
      timer = setTimeout(() => finish(new DeadlineExceededError(`deadline exceeded looking up ${type} in the registry`)), remaining);
    }
    if (limit.signal !== undefined) {
      if (limit.signal.aborted) {
        finish(new AbortedError());
        return;
      }
      limit.signal.addEventListener("abort", onAbort, { once: true });
    }
    work.then(
      () => finish(undefined),
      (err: unknown) => finish(err instanceof Error ? err : new RegistryError(String(err))),
    );
  });
}

/** Nodes carry their service version in metadata so filters see one flat list. */
function withVersion(node: ServiceNode, version: string): ServiceNode {
  if (node.metadata.version === version) return node;
  if (node.metadata.version !== undefined) return node;
  return { ...node, metadata: { ...node.metadata, version } };
}

/**
 * Picks the node for a call: `type@nodeId` goes to that node, `type` through filters (version, metadata,
 * predicate; app-wide and per call) and a strategy (random by default, roundRobin, weighted by metadata
 * `weight`, or any function). The common case, no filters and a cached type, stays synchronous.
 */
import type { Logger } from "../log/types.js";
import { NoneAvailableError, NotFoundError } from "../errors.js";
import type { Registry, ServiceNode } from "../registry/types.js";
import type { SelectOptions } from "../descriptor.js";
import { NodeCache, type LookupLimit, type NodeProbe } from "./cache.js";
import type { Strategy, StrategyName } from "./types.js";

export const random: Strategy = (nodes) => nodes[Math.floor(Math.random() * nodes.length)] as ServiceNode;

/** Round robin over whatever candidate list it is given; one counter per strategy instance. */
export function roundRobin(): Strategy {
  let next = 0;
  return (nodes) => {
    const node = nodes[next % nodes.length] as ServiceNode;
    next = (next + 1) % 1_000_000_007;
    return node;
  };
}

/** Metadata `weight` (default 1); weight 0 is never picked unless every candidate weighs 0. */
export const weighted: Strategy = (nodes) => {
  let total = 0;
  const weights = nodes.map((node) => {
    const raw = node.metadata.weight;
    const parsed = raw === undefined ? 1 : Number(raw);
    const weight = Number.isFinite(parsed) && parsed > 0 ? parsed : 0;
    total += weight;
    return weight;
  });
  if (total === 0) throw new NoneAvailableError();
  let point = Math.random() * total;
  for (let i = 0; i < nodes.length; i++) {
    point -= weights[i] as number;
    if (point < 0 && (weights[i] as number) > 0) return nodes[i] as ServiceNode;
  }
  for (let i = nodes.length - 1; i >= 0; i--) if ((weights[i] as number) > 0) return nodes[i] as ServiceNode;
  throw new NoneAvailableError();
};

export interface SelectorOptions {
  readonly registry: Registry;
  /** App-wide selection defaults. */
  readonly defaults?: SelectOptions;
  readonly cacheTtlMs?: number;
  readonly deadMs?: number;
  /** Checks nodes reported dead so they come back as soon as they answer (see NodeCache). */
  readonly probe?: NodeProbe;
  readonly log?: Logger;
}

/** Splits `type@nodeId`; throws mqant's "serverID is error <id>" for malformed ids. */
export function parseTarget(target: string): { type: string; nodeId: string | undefined } {
  const at = target.indexOf("@");
  if (at < 0) return { type: target, nodeId: undefined };
  if (at === 0 || at === target.length - 1 || target.indexOf("@", at + 1) >= 0) {
    throw new NotFoundError(`serverID is error ${target}`);
  }
  return { type: target.slice(0, at), nodeId: target };
}

export class Selector {
  readonly cache: NodeCache;
  private readonly defaults: SelectOptions;
  private readonly roundRobins = new Map<string, Strategy>();
  private readonly defaultStrategy: Strategy;

  constructor(options: SelectorOptions) {
    this.cache = new NodeCache({
      registry: options.registry,
      ttlMs: options.cacheTtlMs,
      deadMs: options.deadMs,
      probe: options.probe,
      log: options.log,
    });
    this.defaults = options.defaults ?? {};
    this.defaultStrategy = this.strategyFor("*", this.defaults.strategy) ?? random;
  }

  private strategyFor(type: string, strategy: SelectOptions["strategy"]): Strategy | undefined {
    if (strategy === undefined) return undefined;
    if (typeof strategy === "function") return strategy;
    return this.named(type, strategy);
  }

  private named(type: string, name: StrategyName): Strategy {
    if (name === "random") return random;
    if (name === "weighted") return weighted;
    let strategy = this.roundRobins.get(type);
    if (strategy === undefined) {
      strategy = roundRobin();
      this.roundRobins.set(type, strategy);
    }
    return strategy;
  }

  /** Synchronous selection from the cache; undefined when the type is not cached yet or nothing matched. */
  trySelect(type: string, select: SelectOptions | undefined): ServiceNode | undefined {
    const nodes = this.cache.peek(type);
    if (nodes === undefined || nodes.length === 0) return undefined;
    return this.pick(type, nodes, select);
  }

  /**
   * The node for a call to a module type. Throws NoneAvailableError ("none available"), or
   * DeadlineExceededError / AbortedError when the registry does not answer within `limit`.
   */
  async select(type: string, select?: SelectOptions, limit?: LookupLimit): Promise<ServiceNode> {
    const cached = this.trySelect(type, select);
    if (cached !== undefined) return cached;
    const nodes = await this.cache.nodes(type, limit);
    const node = nodes.length === 0 ? undefined : this.pick(type, nodes, select);
    if (node === undefined) throw new NoneAvailableError();
    return node;
  }

  /** mqant GetServerByID: that node, or NotFoundError("nofound <id>"). */
  async getNode(nodeId: string, limit?: LookupLimit): Promise<ServiceNode> {
    const { type } = parseTarget(nodeId);
    // A call to one node by id is not routing: a node only suspected dead is still asked (NATS tells).
    const suspect = this.cache.suspectNode(nodeId);
    if (suspect !== undefined) return suspect;
    const nodes = await this.cache.nodes(type, limit);
    const node = nodes.find((n) => n.id === nodeId);
    if (node === undefined) throw new NotFoundError(`nofound ${nodeId}`);
    return node;
  }

  async nodes(type: string, limit?: LookupLimit): Promise<readonly ServiceNode[]> {
    return this.cache.nodes(type, limit);
  }

  /** This selector's lookups bounded by one call's deadline and signal (for code that only takes a selector). */
  within(limit: LookupLimit): Pick<Selector, "cache" | "nodes"> {
    return { cache: this.cache, nodes: (type: string) => this.cache.nodes(type, limit) };
  }

  markDead(nodeId: string): void {
    this.cache.markDead(nodeId);
  }

  private pick(type: string, nodes: readonly ServiceNode[], select: SelectOptions | undefined): ServiceNode | undefined {
    let candidates = filterNodes(nodes, this.defaults);
    if (select !== undefined) candidates = filterNodes(candidates, select);
    if (candidates.length === 0) return undefined;
    const strategy = this.strategyFor(type, select?.strategy) ?? (this.defaults.strategy === "roundRobin" ? this.named(type, "roundRobin") : this.defaultStrategy);
    return strategy(candidates);
  }

  close(): void {
    this.cache.close();
  }
}

function filterNodes(nodes: readonly ServiceNode[], select: SelectOptions): readonly ServiceNode[] {
  const { version, metadata, filter } = select;
  if (version === undefined && metadata === undefined && filter === undefined) return nodes;
  return nodes.filter((node) => {
    if (version !== undefined && node.metadata.version !== version) return false;
    if (metadata !== undefined) {
      for (const key in metadata) if (node.metadata[key] !== metadata[key]) return false;
    }
    return filter === undefined || filter(node);
  });
}

import type { ServiceNode } from "../registry/types.js";

export type StrategyName = "random" | "roundRobin" | "weighted";

/** Picks one node from the candidates that passed the filters; called once per call. */
export type Strategy = (nodes: readonly ServiceNode[]) => ServiceNode;

/**
 * Asks whether a node reported dead is serving again: resolves true when it answers, false when it is
 * still gone. Called at most once at a time per node, every `probeEveryMs` while it is a suspect.
 */
export type NodeProbe = (node: ServiceNode) => Promise<boolean>;

/** When a lookup must give up: the call's deadline (unix ms) and/or its AbortSignal. */
export interface LookupLimit {
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

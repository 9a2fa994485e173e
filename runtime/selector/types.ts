import type { ServiceNode } from "../registry/types.js";

// The strategy types are part of the call options, so they live with them in the descriptor.
export type { StrategyName, Strategy } from "../descriptor.js";

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

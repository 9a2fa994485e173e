import type { ServiceNode } from "../registry/types.js";

export type StrategyName = "random" | "roundRobin" | "weighted";

/** Picks one node from the candidates that passed the filters; called once per call. */
export type Strategy = (nodes: readonly ServiceNode[]) => ServiceNode;

// The strategy types are part of the call options, so they live with them in the descriptor.
export type { StrategyName, Strategy } from "../descriptor.js";

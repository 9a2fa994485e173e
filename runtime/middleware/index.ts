/** The built-in middleware as one value of the public entry (`middleware.retry()`, …). */
import { circuitBreaker, retry, timeout } from "./builtin.js";

export const middleware = { retry, circuitBreaker, timeout } as const;
export type { RetryOptions, CircuitBreakerOptions, TimeoutOptions } from "./builtin.js";

/**
 * The built-in middleware, none installed unless asked for: retry with backoff, a circuit breaker per
 * node, and default timeouts per handler. On cockatiel's policies rather than loops of our own; which
 * failures count is the runtime's one policy (errors.ts `isRetryable`), decided by error class and code.
 */
import {
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  BrokenCircuitError,
  handleWhen,
  retry as retryPolicy,
  circuitBreaker as breakerPolicy,
} from "cockatiel";
import type { CallOptions, SelectOptions } from "../descriptor.js";
import { BadArgumentError, CircuitOpenError, DeadlineExceededError, MqgenError, isRetryable } from "../errors.js";
import type { ClientCall, Middleware } from "./types.js";

export interface RetryOptions {
  /** Attempts in all, the first included (default 3). */
  readonly maxAttempts?: number;
  /** First delay between attempts in ms, doubled each time with jitter (default 50). */
  readonly initialDelayMs?: number;
  /** Longest delay in ms (default 1000). */
  readonly maxDelayMs?: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new BadArgumentError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Retries a failed call with exponential backoff while the runtime's policy allows it (retry-safe
 * handlers on any retryable failure, others only when the failure says the handler never ran) and the
 * call's deadline has time left; each attempt gets what is left of the deadline.
 */
export function retry(options: RetryOptions = {}): Middleware {
  const maxAttempts = positiveInteger("retry: maxAttempts", options.maxAttempts, 3);
  const initialDelay = positiveInteger("retry: initialDelayMs", options.initialDelayMs, 50);
  const maxDelay = positiveInteger("retry: maxDelayMs", options.maxDelayMs, 1000);
  return {
    name: "retry",
    client: (call, next) => {
      const policy = retryPolicy(
        handleWhen((err) => isRetryable(err, call.retrySafe) && call.deadline - Date.now() > 0),
        { maxAttempts: maxAttempts - 1, backoff: new ExponentialBackoff({ initialDelay, maxDelay }) },
      );
      return policy.execute(({ signal }) => {
        const left = call.deadline - Date.now();
        if (left <= 0) throw new DeadlineExceededError();
        return next({ ...call.options, timeout: left, signal: call.options?.signal ?? signal });
      }, call.options?.signal);
    },
  };
}

export interface CircuitBreakerOptions {
  /** Consecutive failures of a node that open its circuit (default 5). */
  readonly failures?: number;
  /** How long a circuit stays open before one trial call may pass, in ms (default 10000). */
  readonly halfOpenAfterMs?: number;
}

/** What counts against a node: failures of the node itself, not errors its handlers returned. */
function nodeFault(err: unknown): boolean {
  return err instanceof MqgenError && err.retryable && !err.remote;
}

/**
 * A circuit breaker per node: after `failures` consecutive node failures (gone, timed out, busy) calls
 * avoid the node (selection skips it) until `halfOpenAfterMs` passed, then one trial call decides. A call
 * addressed to a node whose circuit is open fails with CircuitOpenError without being sent.
 */
export function circuitBreaker(options: CircuitBreakerOptions = {}): Middleware & { state(nodeId: string): "closed" | "open" | "halfOpen" } {
  const failures = positiveInteger("circuitBreaker: failures", options.failures, 5);
  const halfOpenAfter = positiveInteger("circuitBreaker: halfOpenAfterMs", options.halfOpenAfterMs, 10_000);
  const breakers = new Map<string, { policy: CircuitBreakerPolicy; openedAt: number }>();
  const breakerOf = (nodeId: string): { policy: CircuitBreakerPolicy; openedAt: number } => {
    let entry = breakers.get(nodeId);
    if (entry === undefined) {
      const policy = breakerPolicy(handleWhen(nodeFault), { halfOpenAfter, breaker: new ConsecutiveBreaker(failures) });
      const created = { policy, openedAt: 0 };
      policy.onBreak(() => {
        created.openedAt = Date.now();
      });
      entry = created;
      breakers.set(nodeId, entry);
    }
    return entry;
  };
  /** Open and still inside its break: calls stay away (after it, one trial may go). */
  const holding = (nodeId: string): boolean => {
    const entry = breakers.get(nodeId);
    if (entry === undefined) return false;
    const state = entry.policy.state;
    if (state === CircuitState.Isolated) return true;
    return state === CircuitState.Open && Date.now() - entry.openedAt < halfOpenAfter;
  };
  const record = async (nodeId: string | undefined, outcome: () => Promise<unknown>): Promise<void> => {
    // The breaker learns the outcome after the fact: it runs a function that replays it.
    if (nodeId !== undefined) await breakerOf(nodeId).policy.execute(outcome).catch(() => undefined);
  };
  const recordFailedOver = async (attempts: readonly { readonly nodeId: string; readonly error: unknown }[]): Promise<void> => {
    for (const { nodeId, error } of attempts) await record(nodeId, () => Promise.reject(error as Error));
  };
  const withFilter = (call: ClientCall): CallOptions => {
    const select: SelectOptions | undefined = call.options?.select;
    const filter = select?.filter;
    return { ...call.options, select: { ...select, filter: (node) => !holding(node.id) && (filter === undefined || filter(node)) } };
  };
  return {
    name: "circuitBreaker",
    state(nodeId) {
      const state = breakers.get(nodeId)?.policy.state;
      if (state === undefined || state === CircuitState.Closed) return "closed";
      return holding(nodeId) ? "open" : "halfOpen";
    },
    client: async (call, next) => {
      const direct = call.options?.node;
      if (direct !== undefined) {
        const nodeId = direct.includes("@") ? direct : `${call.module}@${direct}`;
        if (holding(nodeId)) throw new CircuitOpenError(nodeId);
      }
      let result: unknown;
      const seen = call.failedOver.length;
      try {
        result = await next(direct === undefined ? withFilter(call) : call.options);
      } catch (err) {
        await recordFailedOver(call.failedOver.slice(seen));
        if (!(err instanceof BrokenCircuitError)) await record(call.nodeId, () => Promise.reject(err as Error));
        throw err;
      }
      // Nodes the client stepped over on the way (a killed node) count against those nodes.
      await recordFailedOver(call.failedOver.slice(seen));
      await record(call.nodeId, () => Promise.resolve());
      return result;
    },
  };
}

export interface TimeoutOptions {
  /** Timeout in ms for calls whose caller and schema set none. */
  readonly defaultMs?: number;
  /** Per handler, by `module.method` or `module/wireName` (`helloworld.sayHi`, `helloworld//say/hi`). */
  readonly handlers?: Readonly<Record<string, number>>;
}

/** Default timeouts per handler: used when the caller passes no `timeout` (it still wins). */
export function timeout(options: TimeoutOptions): Middleware {
  const handlers = new Map(Object.entries(options.handlers ?? {}));
  for (const [key, ms] of [...handlers, ["defaultMs", options.defaultMs] as const]) {
    if (ms !== undefined && (typeof ms !== "number" || !(ms > 0))) throw new BadArgumentError(`timeout: ${key} must be a number of ms above 0, got ${String(ms)}`);
  }
  return {
    name: "timeout",
    client: (call, next) => {
      if (call.options?.timeout !== undefined) return next();
      const method = call.descriptor?.method;
      const ms =
        (method === undefined ? undefined : handlers.get(`${call.module}.${method}`)) ??
        handlers.get(`${call.module}/${call.handler}`) ??
        call.descriptor?.timeoutMs ??
        options.defaultMs;
      return ms === undefined ? next() : next({ ...call.options, timeout: ms });
    },
  };
}

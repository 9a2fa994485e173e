/**
 * Module dependencies (mqant's seed lists them among the app's jobs; Moleculer's `dependencies` and
 * `waitForServices` are the model): a module names the module types it needs, and the app starts it only
 * once a node of each is routable, in this process or any other.
 */
import { BadArgumentError, NoneAvailableError } from "../errors.js";
import type { ServiceNode } from "../registry/types.js";
import type { Module } from "./types.js";

export const DEFAULT_DEPENDENCY_TIMEOUT_MS = 30_000;
/** How often routability is asked again while waiting (the selector's cache answers between changes). */
const RECHECK_MS = 50;

export interface Routability {
  /** The nodes of a module type that calls could go to now. */
  nodes(type: string): Promise<readonly ServiceNode[]>;
}

function checkTypes(types: unknown, what: string): readonly string[] {
  if (!Array.isArray(types) || types.some((t) => typeof t !== "string" || t === "")) {
    throw new BadArgumentError(`${what}: expected an array of module type names, got ${JSON.stringify(types)}`);
  }
  return types as string[];
}

/** The module types of `types` with no routable node now. */
async function missing(selector: Routability, types: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const type of types) {
    const nodes = await selector.nodes(type).catch(() => []);
    if (nodes.length === 0) out.push(type);
  }
  return out;
}

/**
 * Resolves once every type has a routable node; rejects with NoneAvailableError naming the missing
 * ones after `timeoutMs`, or at once with AbortedError-like reason when `signal` fires (the app stops).
 */
export async function waitForModules(
  selector: Routability,
  types: readonly string[],
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<void> {
  checkTypes(types, what);
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) throw new BadArgumentError(`${what}: timeout must be a number of ms, got ${String(timeoutMs)}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const absent = await missing(selector, types);
    if (absent.length === 0) return;
    if (signal?.aborted) throw signal.reason as Error;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new NoneAvailableError(`${what}: not routable after ${timeoutMs} ms: ${absent.join(", ")} (no node of ${absent.length === 1 ? "that module type" : "those module types"} is registered)`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(RECHECK_MS, left)));
  }
}

/** The dependencies a module declares, checked. */
export function dependenciesOf(m: Module): readonly string[] {
  return m.dependencies === undefined ? [] : checkTypes(m.dependencies, `module ${m.type}: dependencies`);
}

/**
 * Start order for the modules of this process: those that need nothing first (as given), then the others
 * in an order where a module comes after the local modules it needs, so one process can hold a chain.
 */
export function startOrder(modules: readonly Module[]): Module[] {
  const local = new Set(modules.map((m) => m.type));
  const done = new Set<string>();
  const out: Module[] = [];
  let rest = [...modules];
  while (rest.length > 0) {
    const ready = rest.filter((m) => dependenciesOf(m).every((d) => !local.has(d) || done.has(d) || d === m.type));
    // A cycle among local modules: keep the given order; the dependency wait names what is missing.
    const next = ready.length > 0 ? ready : rest;
    for (const m of next) {
      out.push(m);
      done.add(m.type);
    }
    rest = rest.filter((m) => !next.includes(m));
  }
  return out;
}

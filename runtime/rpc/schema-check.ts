/**
 * Contract checks at run time. Every node advertises the schema it was built from in its registry metadata;
 * a typed call compares that with the hash its generated stub was built from, prefers nodes that match, and
 * fails with SchemaMismatchError (or only logs, by policy) when no node does — instead of a timeout or a
 * decode error deep in a codec.
 *
 * Metadata (decided here, documented in docs/contract-checks.md):
 *   schema           the module's schema hash (ModuleDescriptor.schemaHash)
 *   schema.handlers  `<wireName>=<handler hash>` for every typed handler, sorted, comma-separated; `%`, `,`
 *                    and `=` in wire names are percent-encoded.
 * One key for all handlers, not one `schema.<wireName>` key each: Consul stores every metadata pair as its
 * own tag (`t-<hex(zlib(json))>`, ~90 characters for one handler), and every watcher of the service
 * re-reads all tags of all nodes on each change; one key costs one tag and compresses the shared text.
 *
 * Verdicts: `compatible` (same handler hash, or same module hash when the node only gives that),
 * `mismatch` (another hash, or the handler is missing from a node that lists its handlers), `unknown`
 * (no hashes: Go mqant nodes, untyped registrations — allowed; ranked after compatible nodes only when
 * some node of the type mismatches, otherwise all nodes are used as without the check).
 */
import type { Logger } from "../log/types.js";
import { HandlerSchemaMismatchError } from "../errors.js";
import type { ServiceNode } from "../registry/types.js";
import type { Selector } from "../selector/selector.js";
import type { CallOptions, HandlerDescriptor, ModuleDescriptor, SelectOptions } from "../descriptor.js";

export const SCHEMA_KEY = "schema";
export const HANDLER_SCHEMAS_KEY = "schema.handlers";

export type SchemaMismatchPolicy = "reject" | "warn";

export type SchemaVerdict =
  | { readonly compatibility: "compatible" }
  | { readonly compatibility: "unknown" }
  | {
      readonly compatibility: "mismatch";
      /** What the node serves: its handler hash, `absent` when it lacks the handler, or its module hash. */
      readonly actualHash: string;
      /** The caller's side of the same comparison (handler or module hash). */
      readonly expectedHash: string;
    };

const COMPATIBLE: SchemaVerdict = { compatibility: "compatible" };
const UNKNOWN: SchemaVerdict = { compatibility: "unknown" };

function escapeWire(wire: string): string {
  return wire.replace(/[%,=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

function unescapeWire(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The metadata a node serving `module` advertises; merge it into the node's registry metadata. */
export function schemaMetadata(
  schemaHash: string | undefined,
  handlerHashes: Iterable<readonly [wireName: string, hash: string]>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (schemaHash !== undefined && schemaHash !== "") out[SCHEMA_KEY] = schemaHash;
  const pairs = [...handlerHashes]
    .filter(([, hash]) => hash !== "")
    .map(([wire, hash]) => `${escapeWire(wire)}=${hash}`)
    .sort();
  if (pairs.length > 0) out[HANDLER_SCHEMAS_KEY] = pairs.join(",");
  return out;
}

/** Same as schemaMetadata, from a descriptor (for nodes that register every handler of it). */
export function moduleSchemaMetadata(module: ModuleDescriptor): Record<string, string> {
  return schemaMetadata(
    module.schemaHash,
    Object.values(module.handlers).map((h) => [h.wireName, h.hash] as const),
  );
}

// Parsed `schema.handlers` values, by the text itself: nodes of one build share it, and a registry
// refresh that creates new metadata objects does not cost a re-parse.
const parsedHandlers = new Map<string, ReadonlyMap<string, string>>();

function handlerHashesOf(text: string): ReadonlyMap<string, string> {
  let parsed = parsedHandlers.get(text);
  if (parsed === undefined) {
    const map = new Map<string, string>();
    for (const pair of text.split(",")) {
      const eq = pair.lastIndexOf("=");
      if (eq > 0) map.set(unescapeWire(pair.slice(0, eq)), pair.slice(eq + 1));
    }
    if (parsedHandlers.size >= 1024) parsedHandlers.clear();
    parsedHandlers.set(text, map);
    parsed = map;
  }
  return parsed;
}

export function checkNodeSchema(
  module: ModuleDescriptor,
  handler: HandlerDescriptor,
  metadata: Readonly<Record<string, string>>,
): SchemaVerdict {
  const listed = metadata[HANDLER_SCHEMAS_KEY];
  if (listed !== undefined && handler.hash !== "") {
    const actual = handlerHashesOf(listed).get(handler.wireName);
    if (actual === handler.hash) return COMPATIBLE;
    return { compatibility: "mismatch", actualHash: actual ?? "absent", expectedHash: handler.hash };
  }
  const moduleHash = metadata[SCHEMA_KEY];
  if (moduleHash !== undefined && moduleHash !== "" && module.schemaHash !== "") {
    if (moduleHash === module.schemaHash) return COMPATIBLE;
    return { compatibility: "mismatch", actualHash: moduleHash, expectedHash: module.schemaHash };
  }
  return UNKNOWN;
}

function mismatchError(
  module: ModuleDescriptor,
  handler: HandlerDescriptor,
  nodes: readonly ServiceNode[],
  verdict: Extract<SchemaVerdict, { compatibility: "mismatch" }>,
): HandlerSchemaMismatchError {
  return new HandlerSchemaMismatchError({
    module: module.type,
    method: handler.method,
    wireName: handler.wireName,
    callerVersion: module.version,
    nodeVersion: nodes[0]?.metadata.version,
    nodeIds: nodes.map((n) => n.id),
    expectedHash: verdict.expectedHash,
    actualHash: verdict.actualHash,
  });
}

export interface SchemaGuardOptions {
  readonly policy: SchemaMismatchPolicy;
  readonly log?: Logger;
}

/**
 * The client side of the check. When some of a module's nodes mismatch a handler, `select` narrows a typed
 * call's choice to the best tier present (compatible, else unknown, else — only under "warn" — the
 * mismatching ones) while the selector keeps its strategy and the caller's own filters; `isPreferred`
 * vets a node picked on the client's fast path; `checkNode` covers calls addressed to one node.
 */
export class SchemaGuard {
  private readonly warned = new Set<string>();
  /** Node lists (the selector cache's arrays, replaced on every change) with no node mismatching a handler. */
  private readonly clean = new WeakMap<readonly ServiceNode[], WeakSet<HandlerDescriptor>>();
  /**
   * Handlers each node was found compatible with. This runs on every typed call, and comparing the
   * advertised hashes means string compares of texts parsed from the registry; a node's record is replaced,
   * never changed, when it re-registers, so a verdict per node object stays right.
   */
  private readonly compatibleNodes = new WeakMap<ServiceNode, WeakSet<HandlerDescriptor>>();

  constructor(private readonly options: SchemaGuardOptions) {}

  get policy(): SchemaMismatchPolicy {
    return this.options.policy;
  }

  /** No node of the list mismatches the handler (compatible or unknown ones only). Memoized per list. */
  isClean(module: ModuleDescriptor, handler: HandlerDescriptor, nodes: readonly ServiceNode[]): boolean {
    if (this.clean.get(nodes)?.has(handler)) return true;
    for (const node of nodes) {
      if (checkNodeSchema(module, handler, node.metadata).compatibility === "mismatch") return false;
    }
    let set = this.clean.get(nodes);
    if (set === undefined) this.clean.set(nodes, (set = new WeakSet()));
    set.add(handler);
    return true;
  }

  /**
   * Whether a node the selector picked without the check may serve the call as is (the client's fast path):
   * a compatible node always, a node without hashes when no node of the type mismatches, a mismatching
   * node never. `nodes` is the type's cached list when at hand.
   */
  isPreferred(module: ModuleDescriptor, handler: HandlerDescriptor, node: ServiceNode, nodes: readonly ServiceNode[] | undefined): boolean {
    let handlers = this.compatibleNodes.get(node);
    if (handlers?.has(handler) === true) return true;
    const verdict = checkNodeSchema(module, handler, node.metadata).compatibility;
    if (verdict === "compatible") {
      if (handlers === undefined) this.compatibleNodes.set(node, (handlers = new WeakSet()));
      handlers.add(handler);
      return true;
    }
    if (verdict === "mismatch") return false;
    return this.isClean(module, handler, nodes ?? [node]);
  }

  /**
   * Select options for a typed call given the type's current nodes: `select` unchanged when no node
   * mismatches (all are used, as without the check); else a filter on top of the caller's own that keeps the
   * compatible nodes, or if there are none the nodes without hashes. Throws HandlerSchemaMismatchError when
   * every node the call may use mismatches under "reject"; logs once and leaves `select` alone under "warn".
   */
  select(
    module: ModuleDescriptor,
    handler: HandlerDescriptor,
    nodes: readonly ServiceNode[],
    select: SelectOptions | undefined,
  ): SelectOptions | undefined {
    if (nodes.length === 0 || this.isClean(module, handler, nodes)) return select;
    const candidates = select === undefined ? nodes : nodes.filter((n) => passes(n, select));
    let compatible = 0;
    let unknown = 0;
    let firstMismatch: Extract<SchemaVerdict, { compatibility: "mismatch" }> | undefined;
    const mismatching: ServiceNode[] = [];
    for (const node of candidates) {
      const verdict = checkNodeSchema(module, handler, node.metadata);
      if (verdict.compatibility === "compatible") compatible++;
      else if (verdict.compatibility === "unknown") unknown++;
      else {
        firstMismatch ??= verdict;
        mismatching.push(node);
      }
    }
    if (firstMismatch === undefined) return select;
    if (compatible > 0 || unknown > 0) {
      const keep = compatible > 0 ? "compatible" : "unknown";
      const filter = select?.filter;
      return {
        ...select,
        filter: (node) => checkNodeSchema(module, handler, node.metadata).compatibility === keep && (filter === undefined || filter(node)),
      };
    }
    const error = mismatchError(module, handler, mismatching, firstMismatch);
    if (this.options.policy === "reject") throw error;
    this.warnOnce(error);
    return select;
  }

  /** For a call addressed to one node: throws (reject) or logs (warn) when it mismatches. */
  checkNode(module: ModuleDescriptor, handler: HandlerDescriptor, node: ServiceNode): void {
    const verdict = checkNodeSchema(module, handler, node.metadata);
    if (verdict.compatibility !== "mismatch") return;
    const error = mismatchError(module, handler, [node], verdict);
    if (this.options.policy === "reject") throw error;
    this.warnOnce(error);
  }

  private warnOnce(error: HandlerSchemaMismatchError): void {
    const key = `${error.module}\u0000${error.handler}\u0000${error.actualHash}`;
    if (this.warned.has(key)) return;
    if (this.warned.size >= 1024) this.warned.clear();
    this.warned.add(key);
    this.options.log?.warn(`${error.message}; calling anyway (schemaMismatch: warn)`);
  }
}

/** The per-call part of the selector's filters, so tiers are counted over the nodes the call may use. */
function passes(node: ServiceNode, select: SelectOptions): boolean {
  if (select.version !== undefined && node.metadata.version !== select.version) return false;
  if (select.metadata !== undefined) {
    for (const key in select.metadata) if (node.metadata[key] !== select.metadata[key]) return false;
  }
  return select.filter === undefined || select.filter(node);
}

/**
 * The call options a typed call should pick its node with (RpcClient.callHandler's hook): `options` itself
 * when the module's nodes all match (the common case, synchronous once the selector has the type cached),
 * else options whose `select.filter` keeps the best tier. Throws HandlerSchemaMismatchError when every node
 * mismatches under "reject". Calls addressed to one node (`options.node`, `type@id`) are left alone here
 * and checked with `guard.checkNode` once the node is known.
 */
export function schemaCheckedOptions(
  guard: SchemaGuard,
  selector: Pick<Selector, "cache" | "nodes">,
  module: ModuleDescriptor,
  handler: HandlerDescriptor,
  target: string,
  options: CallOptions | undefined,
): CallOptions | undefined | Promise<CallOptions | undefined> {
  if (options?.node !== undefined || target.includes("@")) return options;
  const narrow = (nodes: readonly ServiceNode[]): CallOptions | undefined => {
    const select = guard.select(module, handler, nodes, options?.select);
    return select === options?.select ? options : { ...options, select };
  };
  const cached = selector.cache.peek(module.type);
  return cached !== undefined ? narrow(cached) : selector.nodes(module.type).then(narrow);
}

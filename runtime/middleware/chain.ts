/**
 * The installed middleware of an app and the two chain runners. First installed runs outermost (as Koa
 * and Moleculer order them). With nothing installed the RPC server and client never enter this file
 * beyond one length check, so calls cost what they cost before.
 */
import { BIND_CALLER, type CallContext, type CallOptions, type HandlerDescriptor, type RawHandler } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import type { ClientCall, ClientMiddleware, Middleware, ServerCall, ServerMiddleware, UseOptions } from "./types.js";

const NONE: readonly never[] = [];

/**
 * Set on the options a client middleware's `next` passes down, so the client can say which node each
 * attempt went to (a circuit breaker keys on it). Symbol-keyed, so spreading options keeps it.
 */
export const NOTE_NODE: unique symbol = Symbol("mqgen.noteNode");

interface NodeNoting {
  readonly [NOTE_NODE]?: (nodeId: string, error?: unknown) => void;
}

/**
 * Tells the client middleware of a call which node an attempt went to, or (with `error`) that an attempt
 * failed there and the client moved on to another node (no-op without middleware).
 */
export function noteNode(options: CallOptions | undefined, nodeId: string, error?: unknown): void {
  const note = (options as NodeNoting | undefined)?.[NOTE_NODE];
  if (note !== undefined) note(nodeId, error);
}

interface Entry {
  readonly middleware: Middleware;
  readonly modules: ReadonlySet<string> | undefined;
}

export class MiddlewareStack {
  private readonly entries: Entry[] = [];
  private readonly serverChains = new Map<string, readonly ServerMiddleware[]>();
  private readonly clientChains = new Map<string, readonly ClientMiddleware[]>();
  private hasServer = false;
  private hasClient = false;

  use(middleware: Middleware, options?: UseOptions): void {
    if (typeof middleware !== "object" || middleware === null || (middleware.server === undefined && middleware.client === undefined)) {
      throw new BadArgumentError("use(): a middleware is an object with a `server` and/or `client` function");
    }
    for (const side of ["server", "client"] as const) {
      const fn = middleware[side];
      if (fn !== undefined && typeof fn !== "function") throw new BadArgumentError(`use(${middleware.name}): \`${side}\` must be a function`);
    }
    this.entries.push({ middleware, modules: options?.modules === undefined ? undefined : new Set(options.modules) });
    this.hasServer ||= middleware.server !== undefined;
    this.hasClient ||= middleware.client !== undefined;
    this.serverChains.clear();
    this.clientChains.clear();
  }

  /** The server middleware for handlers of `module`, outermost first. */
  server(module: string): readonly ServerMiddleware[] {
    if (!this.hasServer) return NONE;
    let chain = this.serverChains.get(module);
    if (chain === undefined) {
      chain = this.entries.flatMap((e) => (e.middleware.server !== undefined && (e.modules === undefined || e.modules.has(module)) ? [e.middleware.server] : []));
      this.serverChains.set(module, chain);
    }
    return chain;
  }

  /** The client middleware for calls to `module`, outermost first. */
  client(module: string): readonly ClientMiddleware[] {
    if (!this.hasClient) return NONE;
    let chain = this.clientChains.get(module);
    if (chain === undefined) {
      chain = this.entries.flatMap((e) => (e.middleware.client !== undefined && (e.modules === undefined || e.modules.has(module)) ? [e.middleware.client] : []));
      this.clientChains.set(module, chain);
    }
    return chain;
  }
}

function settleOf(run: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(run());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/** Runs a handler through the server chain; the handler gets the arguments the innermost `next` was given. */
export function runServerChain(
  chain: readonly ServerMiddleware[],
  node: { readonly type: string; readonly nodeId: string },
  entry: { readonly name: string; readonly descriptor: HandlerDescriptor | undefined; readonly handler: RawHandler },
  args: readonly unknown[],
  ctx: CallContext,
): Promise<unknown> {
  // A gate session is the argument that takes the receiving app's caller (sessions do, see BIND_CALLER).
  const session = args.find((a) => typeof a === "object" && a !== null && BIND_CALLER in a);
  const dispatch = (i: number, current: readonly unknown[]): Promise<unknown> => {
    const middleware = chain[i];
    if (middleware === undefined) return settleOf(() => entry.handler(current as unknown[], ctx));
    // Spelled out: V8 (Node 20) builds `{ a, ...base, b }` on a slow path, several times this cost per call.
    const call: ServerCall = { side: "server", module: node.type, nodeId: node.nodeId, handler: entry.name, descriptor: entry.descriptor, ctx, session, args: current };
    return settleOf(() => middleware(call, (changed) => dispatch(i + 1, changed ?? current)));
  };
  return dispatch(0, args);
}

function withNote(options: CallOptions | undefined, note: (nodeId: string, error?: unknown) => void): CallOptions {
  const copy: CallOptions & NodeNoting & { [NOTE_NODE]?: typeof note } = options === undefined ? {} : Object.assign({}, options);
  copy[NOTE_NODE] = note;
  return copy;
}

/** One client call's state across its attempts (the node the latest went to). */
interface ClientCallState {
  readonly module: string;
  readonly handler: string;
  readonly descriptor: HandlerDescriptor | undefined;
  readonly args: readonly unknown[];
  readonly deadline: number;
  readonly retrySafe: boolean;
  nodeId: string | undefined;
  readonly failedOver: { readonly nodeId: string; readonly error: unknown }[];
}

/** The call as one layer sees it: the options the layer above passed down. */
class ClientCallView implements ClientCall {
  readonly side = "client" as const;
  constructor(
    private readonly state: ClientCallState,
    readonly options: CallOptions | undefined,
    /** A layer above may have set a timeout: the deadline is then the one it set. */
    readonly deadline: number,
  ) {}
  get module(): string {
    return this.state.module;
  }
  get handler(): string {
    return this.state.handler;
  }
  get descriptor(): HandlerDescriptor | undefined {
    return this.state.descriptor;
  }
  get args(): readonly unknown[] {
    return this.state.args;
  }
  get retrySafe(): boolean {
    return this.state.retrySafe;
  }
  get nodeId(): string | undefined {
    return this.state.nodeId;
  }
  get failedOver(): readonly { readonly nodeId: string; readonly error: unknown }[] {
    return this.state.failedOver;
  }
}

/**
 * Runs a call through the client chain; `send` makes one attempt with the options the innermost `next`
 * was given (they carry NOTE_NODE so the attempt reports its node).
 */
export function runClientChain(
  chain: readonly ClientMiddleware[],
  target: { module: string; handler: string; descriptor: HandlerDescriptor | undefined; args: readonly unknown[]; retrySafe: boolean },
  options: CallOptions | undefined,
  deadline: number,
  send: (options: CallOptions) => Promise<unknown>,
): Promise<unknown> {
  // Spelled out, and the options copied with Object.assign: a spread followed by more keys (or a symbol key
  // set on a spread copy) takes V8's slow path, microseconds per call where the rest of a call costs less.
  const state: ClientCallState = {
    module: target.module,
    handler: target.handler,
    descriptor: target.descriptor,
    args: target.args,
    retrySafe: target.retrySafe,
    deadline,
    nodeId: undefined,
    failedOver: [],
  };
  const note = (nodeId: string, error?: unknown): void => {
    if (error === undefined) state.nodeId = nodeId;
    else state.failedOver.push({ nodeId, error });
  };
  const dispatch = (i: number, current: CallOptions | undefined): Promise<unknown> => {
    const middleware = chain[i];
    if (middleware === undefined) return settleOf(() => send(withNote(current, note)));
    const deadline = current !== options && typeof current?.timeout === "number" ? Date.now() + current.timeout : state.deadline;
    return settleOf(() => middleware(new ClientCallView(state, current, deadline), (changed) => dispatch(i + 1, changed ?? current)));
  };
  return dispatch(0, options);
}

/**
 * mqant's RPC envelopes as data (rpcpb.RPCInfo, rpcpb.ResultInfo).
 */
/** rpcpb.RPCInfo. */
export interface RPCInfo {
  /** Correlation id (uuid v4). */
  cid: string;
  /** Handler name as registered. */
  fn: string;
  /** Caller's reply subject; empty for fire-and-forget. */
  replyTo: string;
  /** Unused by mqant; carried for completeness. */
  track: string;
  /** Absolute deadline, unix ms (mqant's `Expired`). */
  expired: number;
  /** true = Call (a reply is expected), false = CallNR. */
  reply: boolean;
  argsType: string[];
  args: Uint8Array[];
  caller: string;
  hostname: string;
}

/** rpcpb.ResultInfo. */
export interface ResultInfo {
  cid: string;
  /** "" on success. */
  error: string;
  resultType: string;
  result: Uint8Array;
  /**
   * mqgen extension, field 15: the error's class when a handler raised a BadArgumentError or
   * NotFoundError (see errors.ts WIRE_ERROR_CODES). Go mqant skips the unknown field.
   */
  errorCode?: string;
}

const EMPTY = new Uint8Array(0);

export function createRPCInfo(init: Partial<RPCInfo> = {}): RPCInfo {
  return {
    cid: init.cid ?? "",
    fn: init.fn ?? "",
    replyTo: init.replyTo ?? "",
    track: init.track ?? "",
    expired: init.expired ?? 0,
    reply: init.reply ?? false,
    argsType: init.argsType ?? [],
    args: init.args ?? [],
    caller: init.caller ?? "",
    hostname: init.hostname ?? "",
  };
}

export function createResultInfo(init: Partial<ResultInfo> = {}): ResultInfo {
  return { cid: init.cid ?? "", error: init.error ?? "", resultType: init.resultType ?? "", result: init.result ?? EMPTY };
}

// Encoding: the RPC envelopes are built by hand into one exactly sized buffer. The strings that repeat
// call after call (handler name, reply subject, caller, hostname, type tags, error texts) are encoded
// once and their finished field bytes (key, length, UTF-8) reused; only the Cid, the deadline and the
// arguments are written per call. Output is the same as protobufjs' Writer, which the tests check
// against bytes a real mqant wrote.

/**
 * The RPC layer's view of mqant's wire messages. The protobuf and argument-tag work lives in the codec
 * modules; this file adapts them to the shapes the server and client pass around, so the hot path has one
 * place to change if the codec surface moves.
 */
export interface RpcRequest {
  cid: string;
  fn: string;
  /** The caller's reply subject ("" for Reply=false). */
  replyTo: string;
  /** Absolute deadline, unix ms. */
  expired: number;
  reply: boolean;
  argsType: string[];
  args: Uint8Array[];
  caller: string;
  hostname: string;
}

export interface RpcReply {
  cid: string;
  error: string;
  resultType: string;
  result: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

// --- minimal proto3 writer/reader for the two fixed messages (field order = field number order) ---

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

class Writer {
  readonly buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
  bytesField(field: number, bytes: Uint8Array): void {
    this.buf[this.pos++] = (field << 3) | 2;
    this.varint(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

function fieldSize(field: number, length: number): number {
  return varintSize(field << 3) + varintSize(length) + length;
}

export function encodeRequest(req: RpcRequest): Uint8Array {
  const cid = utf8.encode(req.cid);
  const fn = utf8.encode(req.fn);
  const replyTo = utf8.encode(req.replyTo);
  const caller = utf8.encode(req.caller);
  const hostname = utf8.encode(req.hostname);
  const types = req.argsType.map((t) => utf8.encode(t));
  let size = 0;
  if (cid.length) size += fieldSize(1, cid.length);
  if (fn.length) size += fieldSize(2, fn.length);
  if (replyTo.length) size += fieldSize(3, replyTo.length);
  if (req.expired !== 0) size += 1 + 10;
  if (req.reply) size += 2;
  for (const t of types) size += fieldSize(7, t.length);
  for (const a of req.args) size += fieldSize(8, a.length);
  if (caller.length) size += fieldSize(9, caller.length);
  if (hostname.length) size += fieldSize(10, hostname.length);
  const w = new Writer(size);
  if (cid.length) w.bytesField(1, cid);
  if (fn.length) w.bytesField(2, fn);
  if (replyTo.length) w.bytesField(3, replyTo);
  if (req.expired !== 0) {
    w.buf[w.pos++] = 5 << 3;
    let v = BigInt.asUintN(64, BigInt(req.expired));
    while (v >= 0x80n) {
      w.buf[w.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    w.buf[w.pos++] = Number(v);
  }
  if (req.reply) {
    w.buf[w.pos++] = 6 << 3;
    w.buf[w.pos++] = 1;
  }
  for (const t of types) w.bytesField(7, t);
  for (const a of req.args) w.bytesField(8, a);
  if (caller.length) w.bytesField(9, caller);
  if (hostname.length) w.bytesField(10, hostname);
  return w.buf.subarray(0, w.pos);
}

export function encodeReply(reply: RpcReply): Uint8Array {
  const cid = utf8.encode(reply.cid);
  const error = utf8.encode(reply.error);
  const type = utf8.encode(reply.resultType);
  let size = 0;
  if (cid.length) size += fieldSize(1, cid.length);
  if (error.length) size += fieldSize(2, error.length);
  if (type.length) size += fieldSize(4, type.length);
  if (reply.result.length) size += fieldSize(5, reply.result.length);
  const w = new Writer(size);
  if (cid.length) w.bytesField(1, cid);
  if (error.length) w.bytesField(2, error);
  if (type.length) w.bytesField(4, type);
  if (reply.result.length) w.bytesField(5, reply.result);
  return w.buf;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  varint(): number {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Error("truncated varint");
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    throw new Error("varint too long");
  }
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Error("truncated varint");
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    throw new Error("varint too long");
  }
  bytes(): Uint8Array {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) throw new Error("truncated field");
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint64();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
    if (this.pos > this.buf.length) throw new Error("truncated field");
  }
}

/** Throws on malformed bytes; callers log and drop. */
export function decodeRequest(bytes: Uint8Array): RpcRequest {
  const r = new Reader(bytes);
  const req: RpcRequest = { cid: "", fn: "", replyTo: "", expired: 0, reply: false, argsType: [], args: [], caller: "", hostname: "" };
  while (r.pos < bytes.length) {
    const key = r.varint();
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 2 && field !== 5 && field !== 6) {
      const b = r.bytes();
      switch (field) {
        case 1: req.cid = utf8Decoder.decode(b); break;
        case 2: req.fn = utf8Decoder.decode(b); break;
        case 3: req.replyTo = utf8Decoder.decode(b); break;
        case 7: req.argsType.push(utf8Decoder.decode(b)); break;
        case 8: req.args.push(b.slice()); break;
        case 9: req.caller = utf8Decoder.decode(b); break;
        case 10: req.hostname = utf8Decoder.decode(b); break;
        default: break;
      }
    } else if (field === 5 && wire === 0) {
      req.expired = Number(r.varint64());
    } else if (field === 6 && wire === 0) {
      req.reply = r.varint64() !== 0n;
    } else {
      r.skip(wire);
    }
  }
  if (req.argsType.length !== req.args.length) {
    throw new Error(`ArgsType has ${req.argsType.length} entries but Args has ${req.args.length}`);
  }
  return req;
}

export function decodeReply(bytes: Uint8Array): RpcReply {
  const r = new Reader(bytes);
  const reply: RpcReply = { cid: "", error: "", resultType: "", result: EMPTY };
  while (r.pos < bytes.length) {
    const key = r.varint();
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 2) {
      const b = r.bytes();
      if (field === 1) reply.cid = utf8Decoder.decode(b);
      else if (field === 2) reply.error = utf8Decoder.decode(b);
      else if (field === 4) reply.resultType = utf8Decoder.decode(b);
      else if (field === 5) reply.result = b.slice();
    } else {
      r.skip(wire);
    }
  }
  return reply;
}

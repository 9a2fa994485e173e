/**
 * mqant's RPC envelopes (`rpcpb.RPCInfo` request, `rpcpb.ResultInfo` reply), byte-identical to what Go
 * mqant writes: proto3, fields in number order, empty/zero fields omitted. Hand-written because every
 * call goes through here twice; the reflective codec in message.ts would cost an allocation per field.
 */
import { ProtocolError } from "../errors.js";
import { newReader, newWriter, readBytesCopy, readInt64AsNumber, readString, readVarint64, writeString } from "./message.js";

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

export function encodeRPCInfo(info: RPCInfo): Uint8Array {
  if (info.argsType.length !== info.args.length) {
    throw new ProtocolError(`RPCInfo: ${info.argsType.length} argument types but ${info.args.length} arguments`);
  }
  if (!Number.isSafeInteger(info.expired)) throw new ProtocolError(`RPCInfo: expired must be an integer (unix ms), got ${info.expired}`);
  const w = newWriter();
  if (info.cid !== "") writeString(w.uint32(10), info.cid);
  if (info.fn !== "") writeString(w.uint32(18), info.fn);
  if (info.replyTo !== "") writeString(w.uint32(26), info.replyTo);
  if (info.track !== "") writeString(w.uint32(34), info.track);
  // protobufjs converts a safe-integer number to 64 bits exactly, negative ones included.
  if (info.expired !== 0) w.uint32(40).int64(info.expired);
  if (info.reply) w.uint32(48).bool(true);
  for (const tag of info.argsType) writeString(w.uint32(58), tag);
  // Go writes every element of a repeated bytes field, empty ones included (`42 00` for a nil argument).
  for (const arg of info.args) w.uint32(66).bytes(arg);
  if (info.caller !== "") writeString(w.uint32(74), info.caller);
  if (info.hostname !== "") writeString(w.uint32(82), info.hostname);
  return w.finish();
}

export function encodeResultInfo(info: ResultInfo): Uint8Array {
  const w = newWriter();
  if (info.cid !== "") writeString(w.uint32(10), info.cid);
  if (info.error !== "") writeString(w.uint32(18), info.error);
  if (info.resultType !== "") writeString(w.uint32(34), info.resultType);
  if (info.result.length !== 0) w.uint32(42).bytes(info.result);
  return w.finish();
}

function wrongWireType(message: string, field: number, wireType: number): never {
  throw new ProtocolError(`${message}: field ${field} has wire type ${wireType}`);
}

function malformed(message: string, error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError(`${message}: malformed protobuf (${(error as Error).message})`, { cause: error });
}

function expect(message: string, field: number, wireType: number, expected: number): void {
  if (wireType !== expected) wrongWireType(message, field, wireType);
}

export function decodeRPCInfo(bytes: Uint8Array): RPCInfo {
  const info = createRPCInfo();
  const reader = newReader(bytes);
  try {
    while (reader.pos < reader.len) {
      const key = reader.uint32();
      const field = key >>> 3;
      const wireType = key & 7;
      switch (field) {
        case 1:
          expect("RPCInfo", field, wireType, 2);
          info.cid = readString(reader);
          break;
        case 2:
          expect("RPCInfo", field, wireType, 2);
          info.fn = readString(reader);
          break;
        case 3:
          expect("RPCInfo", field, wireType, 2);
          info.replyTo = readString(reader);
          break;
        case 4:
          expect("RPCInfo", field, wireType, 2);
          info.track = readString(reader);
          break;
        case 5: {
          expect("RPCInfo", field, wireType, 0);
          const start = reader.pos;
          const expired = readInt64AsNumber(reader);
          if (expired === undefined) {
            reader.pos = start;
            throw new ProtocolError(`RPCInfo: Expired ${BigInt.asIntN(64, readVarint64(reader))} is not a unix time in ms`);
          }
          info.expired = expired;
          break;
        }
        case 6:
          expect("RPCInfo", field, wireType, 0);
          info.reply = readInt64AsNumber(reader) !== 0;
          break;
        case 7:
          expect("RPCInfo", field, wireType, 2);
          info.argsType.push(readString(reader));
          break;
        case 8:
          expect("RPCInfo", field, wireType, 2);
          info.args.push(readBytesCopy(reader));
          break;
        case 9:
          expect("RPCInfo", field, wireType, 2);
          info.caller = readString(reader);
          break;
        case 10:
          expect("RPCInfo", field, wireType, 2);
          info.hostname = readString(reader);
          break;
        default:
          if (field === 0) throw new ProtocolError("RPCInfo: field number 0");
          reader.skipType(wireType);
      }
    }
  } catch (error) {
    throw malformed("RPCInfo", error);
  }
  if (info.argsType.length !== info.args.length) {
    throw new ProtocolError(`RPCInfo: ${info.argsType.length} argument types but ${info.args.length} arguments`);
  }
  return info;
}

export function decodeResultInfo(bytes: Uint8Array): ResultInfo {
  const info = createResultInfo();
  const reader = newReader(bytes);
  try {
    while (reader.pos < reader.len) {
      const key = reader.uint32();
      const field = key >>> 3;
      const wireType = key & 7;
      switch (field) {
        case 1:
          expect("ResultInfo", field, wireType, 2);
          info.cid = readString(reader);
          break;
        case 2:
          expect("ResultInfo", field, wireType, 2);
          info.error = readString(reader);
          break;
        case 4:
          expect("ResultInfo", field, wireType, 2);
          info.resultType = readString(reader);
          break;
        case 5:
          expect("ResultInfo", field, wireType, 2);
          info.result = readBytesCopy(reader);
          break;
        default:
          if (field === 0) throw new ProtocolError("ResultInfo: field number 0");
          reader.skipType(wireType);
      }
    }
  } catch (error) {
    throw malformed("ResultInfo", error);
  }
  return info;
}

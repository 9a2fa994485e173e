/**
 * Decoding mqant's RPC envelopes (rpcpb.RPCInfo, rpcpb.ResultInfo), hand-written for the hot path on the
 * shared wire helpers: strings that repeat call after call (handler, reply subject, caller, tags) are
 * recognised by their bytes and not decoded again. Anything malformed is a ProtocolError.
 */
import { ProtocolError } from "../errors.js";
import { asciiString, newReader, readBytesCopy, readInt64AsNumber, readVarint64, type Reader } from "./wire.js";
import { createResultInfo, createRPCInfo, type ResultInfo, type RPCInfo } from "./envelope-types.js";

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

const utf8Decoder = new TextDecoder("utf-8");

/** A string field's last bytes and value: the same handler, reply subject, caller and tags arrive call after call. */
interface StringSlot {
  bytes: Uint8Array;
  value: string;
}

function newSlot(): StringSlot {
  return { bytes: new Uint8Array(0), value: "" };
}

function fieldBounds(reader: Reader): number {
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) throw new RangeError(`length ${length} runs past the end of the buffer`);
  reader.pos = end;
  return start;
}

/** A per-call string (the Cid): short ASCII ones without TextDecoder, the rest (uuids…) through it. */
function readFreshString(reader: Reader): string {
  const start = fieldBounds(reader);
  const end = reader.pos;
  const buf = reader.buf;
  return (end - start <= 16 ? asciiString(buf, start, end) : undefined) ?? utf8Decoder.decode(buf.subarray(start, end));
}

function readRepeatedString(reader: Reader, slot: StringSlot): string {
  const start = fieldBounds(reader);
  const end = reader.pos;
  const buf = reader.buf;
  const cached = slot.bytes;
  const length = end - start;
  if (cached.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (buf[start + i] !== cached[i]) {
        same = false;
        break;
      }
    }
    if (same) return slot.value;
  }
  const bytes = buf.slice(start, end);
  const value = utf8Decoder.decode(bytes);
  slot.bytes = bytes;
  slot.value = value;
  return value;
}

const requestSlots = { fn: newSlot(), replyTo: newSlot(), track: newSlot(), tag: newSlot(), caller: newSlot(), hostname: newSlot() };
const replySlots = { error: newSlot(), resultType: newSlot(), errorCode: newSlot() };

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
          info.cid = readFreshString(reader);
          break;
        case 2:
          expect("RPCInfo", field, wireType, 2);
          info.fn = readRepeatedString(reader, requestSlots.fn);
          break;
        case 3:
          expect("RPCInfo", field, wireType, 2);
          info.replyTo = readRepeatedString(reader, requestSlots.replyTo);
          break;
        case 4:
          expect("RPCInfo", field, wireType, 2);
          info.track = readRepeatedString(reader, requestSlots.track);
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
          info.argsType.push(readRepeatedString(reader, requestSlots.tag));
          break;
        case 8:
          expect("RPCInfo", field, wireType, 2);
          info.args.push(readBytesCopy(reader));
          break;
        case 9:
          expect("RPCInfo", field, wireType, 2);
          info.caller = readRepeatedString(reader, requestSlots.caller);
          break;
        case 10:
          expect("RPCInfo", field, wireType, 2);
          info.hostname = readRepeatedString(reader, requestSlots.hostname);
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
          info.cid = readFreshString(reader);
          break;
        case 2:
          expect("ResultInfo", field, wireType, 2);
          info.error = readRepeatedString(reader, replySlots.error);
          break;
        case 4:
          expect("ResultInfo", field, wireType, 2);
          info.resultType = readRepeatedString(reader, replySlots.resultType);
          break;
        case 5:
          expect("ResultInfo", field, wireType, 2);
          info.result = readBytesCopy(reader);
          break;
        case 15:
          expect("ResultInfo", field, wireType, 2);
          info.errorCode = readRepeatedString(reader, replySlots.errorCode);
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

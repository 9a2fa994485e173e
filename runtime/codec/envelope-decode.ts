/**
 * Decoding mqant's RPC envelopes (rpcpb.RPCInfo, rpcpb.ResultInfo), hand-written for the hot path on the
 * shared wire helpers: strings that repeat call after call (handler, reply subject, caller, tags) are
 * recognised by their bytes and not decoded again. Anything malformed is a ProtocolError.
 */
import { ProtocolError } from "../errors.js";
import { asciiString, lengthDelimited, newReader, readBytesCopy, readInt64AsNumber, readVarint64, type Reader } from "./wire.js";
import { createResultInfo, createRPCInfo, type ResultInfo, type RPCInfo } from "./envelope-types.js";

function malformed(message: string, error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError(`${message}: malformed protobuf (${(error as Error).message})`, { cause: error });
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

/** A per-call string (the Cid): short ASCII ones without TextDecoder, the rest (uuids…) through it. */
function readFreshString(reader: Reader): string {
  const start = lengthDelimited(reader);
  const end = reader.pos;
  const buf = reader.buf;
  return (end - start <= 16 ? asciiString(buf, start, end) : undefined) ?? utf8Decoder.decode(buf.subarray(start, end));
}

function readRepeatedString(reader: Reader, slot: StringSlot): string {
  const start = lengthDelimited(reader);
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

/**
 * One envelope's fields: the wire type each known field number must have (by number; a hole is an unknown
 * field, skipped), and what reading one does (every field but the Cid, which the loop reads).
 */
interface EnvelopeFields<T> {
  readonly name: string;
  readonly wireTypes: readonly (number | undefined)[];
  read(info: T, field: number, reader: Reader): void;
}

/** The one decode loop of both envelopes; field 1 is the Cid in both. */
function decodeEnvelope<T extends { cid: string }>(fields: EnvelopeFields<T>, bytes: Uint8Array, info: T): T {
  const reader = newReader(bytes);
  const { wireTypes } = fields;
  try {
    while (reader.pos < reader.len) {
      const key = reader.uint32();
      const field = key >>> 3;
      const wireType = key & 7;
      const expected = wireTypes[field];
      if (expected === undefined) {
        if (field === 0) throw new ProtocolError(`${fields.name}: field number 0`);
        reader.skipType(wireType);
      } else if (wireType !== expected) {
        throw new ProtocolError(`${fields.name}: field ${field} has wire type ${wireType}`);
      } else if (field === 1) {
        info.cid = readFreshString(reader);
      } else {
        fields.read(info, field, reader);
      }
    }
  } catch (error) {
    throw malformed(fields.name, error);
  }
  return info;
}

const LENGTH = 2;
const VARINT = 0;

const RPC_INFO: EnvelopeFields<RPCInfo> = {
  name: "RPCInfo",
  wireTypes: [undefined, LENGTH, LENGTH, LENGTH, LENGTH, VARINT, VARINT, LENGTH, LENGTH, LENGTH, LENGTH],
  read(info, field, reader) {
    switch (field) {
      case 2:
        info.fn = readRepeatedString(reader, requestSlots.fn);
        return;
      case 3:
        info.replyTo = readRepeatedString(reader, requestSlots.replyTo);
        return;
      case 4:
        info.track = readRepeatedString(reader, requestSlots.track);
        return;
      case 5: {
        const start = reader.pos;
        const expired = readInt64AsNumber(reader);
        if (expired === undefined) {
          reader.pos = start;
          throw new ProtocolError(`RPCInfo: Expired ${BigInt.asIntN(64, readVarint64(reader))} is not a unix time in ms`);
        }
        info.expired = expired;
        return;
      }
      case 6:
        info.reply = readInt64AsNumber(reader) !== 0;
        return;
      case 7:
        info.argsType.push(readRepeatedString(reader, requestSlots.tag));
        return;
      case 8:
        info.args.push(readBytesCopy(reader));
        return;
      case 9:
        info.caller = readRepeatedString(reader, requestSlots.caller);
        return;
      case 10:
        info.hostname = readRepeatedString(reader, requestSlots.hostname);
        return;
    }
  },
};

const RESULT_INFO: EnvelopeFields<ResultInfo> = {
  name: "ResultInfo",
  // Field 3 is unused in mqant's rpcpb.ResultInfo; 15 is mqgen's errorCode extension.
  wireTypes: [undefined, LENGTH, LENGTH, undefined, LENGTH, LENGTH, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, LENGTH],
  read(info, field, reader) {
    switch (field) {
      case 2:
        info.error = readRepeatedString(reader, replySlots.error);
        return;
      case 4:
        info.resultType = readRepeatedString(reader, replySlots.resultType);
        return;
      case 5:
        info.result = readBytesCopy(reader);
        return;
      case 15:
        info.errorCode = readRepeatedString(reader, replySlots.errorCode);
        return;
    }
  },
};

export function decodeRPCInfo(bytes: Uint8Array): RPCInfo {
  const info = decodeEnvelope(RPC_INFO, bytes, createRPCInfo());
  if (info.argsType.length !== info.args.length) {
    throw new ProtocolError(`RPCInfo: ${info.argsType.length} argument types but ${info.args.length} arguments`);
  }
  return info;
}

export function decodeResultInfo(bytes: Uint8Array): ResultInfo {
  return decodeEnvelope(RESULT_INFO, bytes, createResultInfo());
}

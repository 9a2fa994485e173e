/**
 * The protobuf wire and UTF-8 helpers every codec of the runtime uses (message tables, the RPC envelope,
 * the session, go.api): one writer kind (protobufjs' Writer), one reader, one ASCII fast path, one rule for
 * lone surrogates (written as U+FFFD, as TextEncoder does, never as the invalid UTF-8 Go's protobuf rejects).
 *
 * Browser-safe on purpose (the generated gate client uses it): no `node:` imports, no Buffer.
 */
import protobuf from "protobufjs/minimal.js";

export type Writer = protobuf.Writer;
export type Reader = protobuf.Reader;
export type Fields = Record<string, unknown>;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

// ---------------------------------------------------------------------------------------------------
// Wire helpers shared with the hand-written RPC envelope codec.

/** protobufjs takes any `{low, high}` as a Long; this keeps all 64 bits without the long package. */
function longBits(value: bigint): { low: number; high: number; unsigned: boolean } {
  const unsigned = BigInt.asUintN(64, value);
  return { low: Number(unsigned & 0xffffffffn), high: Number(unsigned >> 32n), unsigned: false };
}

export function writeVarint64(writer: Writer, value: bigint): Writer {
  return writer.uint64(longBits(value) as unknown as number);
}

export function newWriter(): Writer {
  // The base Writer (not Node's BufferWriter) so output is a plain Uint8Array everywhere.
  return new protobuf.Writer();
}

// The two 32-bit halves of the last varint read; module state avoids an allocation per read.
let varintLow = 0;
let varintHigh = 0;

function readVarint64Halves(reader: Reader): void {
  const buf = reader.buf;
  const len = reader.len;
  let pos = reader.pos;
  let low = 0;
  let high = 0;
  let byte = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= len) throw new RangeError("varint runs past the end of the buffer");
    byte = buf[pos++];
    low |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      reader.pos = pos;
      varintLow = low >>> 0;
      varintHigh = 0;
      return;
    }
  }
  if (pos >= len) throw new RangeError("varint runs past the end of the buffer");
  byte = buf[pos++];
  low |= (byte & 0x0f) << 28;
  high = (byte & 0x7f) >> 4;
  if (byte >= 0x80) {
    let done = false;
    for (let shift = 3; shift <= 31; shift += 7) {
      if (pos >= len) throw new RangeError("varint runs past the end of the buffer");
      byte = buf[pos++];
      high |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        done = true;
        break;
      }
    }
    if (!done) throw new RangeError("varint longer than 10 bytes");
  }
  reader.pos = pos;
  varintLow = low >>> 0;
  varintHigh = high >>> 0;
}

/** Reads a varint as an unsigned 64-bit value (protobufjs would give a Long or a lossy number). */
export function readVarint64(reader: Reader): bigint {
  readVarint64Halves(reader);
  return varintHigh === 0 ? BigInt(varintLow) : (BigInt(varintHigh) << 32n) | BigInt(varintLow);
}

/** Reads an int64 varint as a number; undefined when it is outside the safe-integer range. */
export function readInt64AsNumber(reader: Reader): number | undefined {
  readVarint64Halves(reader);
  const value = (varintHigh | 0) * 4294967296 + varintLow;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Steps over a length-delimited field's bytes, checked against the buffer; returns where they start. */
export function lengthDelimited(reader: Reader): number {
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) throw new RangeError(`length ${length} runs past the end of the buffer`);
  reader.pos = end;
  return start;
}

/** A copy, so decoded values never alias the (possibly pooled) network buffer. */
export function readBytesCopy(reader: Reader): Uint8Array {
  const start = lengthDelimited(reader);
  const end = reader.pos;
  const length = end - start;
  const buf = reader.buf;
  if (length <= 8) {
    // Many arguments and results are a few bytes: a loop beats making a view to copy from.
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = buf[start + i] as number;
    return out;
  }
  // new Uint8Array(view) copies into a plain Uint8Array even when the input is a Node Buffer.
  return new Uint8Array(buf.subarray(start, end));
}

const fromCharCode = String.fromCharCode;

function asciiTail(b: Uint8Array, p: number, n: number): string {
  switch (n) {
    case 1:
      return fromCharCode(b[p] as number);
    case 2:
      return fromCharCode(b[p] as number, b[p + 1] as number);
    case 3:
      return fromCharCode(b[p] as number, b[p + 1] as number, b[p + 2] as number);
    case 4:
      return fromCharCode(b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number);
    case 5:
      return fromCharCode(b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number, b[p + 4] as number);
    case 6:
      return fromCharCode(b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number, b[p + 4] as number, b[p + 5] as number);
    case 7:
      return fromCharCode(
        b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number, b[p + 4] as number, b[p + 5] as number, b[p + 6] as number,
      );
    default:
      return "";
  }
}

/**
 * Bytes `start..end` as a string when they are all ASCII, else undefined. Made with fromCharCode eight
 * characters at a time: for ids and other short strings that is several times cheaper than a TextDecoder
 * call (which also needs a view of the bytes made first).
 */
export function asciiString(b: Uint8Array, start: number, end: number): string | undefined {
  for (let i = start; i < end; i++) if ((b[i] as number) >= 0x80) return undefined;
  let out = "";
  let p = start;
  for (; p + 8 <= end; p += 8) {
    out += fromCharCode(
      b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number,
      b[p + 4] as number, b[p + 5] as number, b[p + 6] as number, b[p + 7] as number,
    );
  }
  return p < end ? out + asciiTail(b, p, end - p) : out;
}

export function readString(reader: Reader): string {
  const start = lengthDelimited(reader);
  const end = reader.pos;
  const length = end - start;
  const buf = reader.buf;
  if (length < 48) {
    // Short ASCII strings (ids, tags, handler names) dominate; skip TextDecoder's call overhead.
    let ascii = "";
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c >= 0x80) return utf8Decoder.decode(buf.subarray(start, end));
      ascii += String.fromCharCode(c);
    }
    return ascii;
  }
  return utf8Decoder.decode(buf.subarray(start, end));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const isWellFormed: (value: string) => boolean =
  typeof nativeIsWellFormed === "function" ? (value) => nativeIsWellFormed.call(value) : (value) => !LONE_SURROGATE.test(value);

export function writeString(writer: Writer, value: string): Writer {
  // protobufjs' own UTF-8 writer is the fast path, but it writes a lone surrogate as invalid UTF-8
  // (which Go's protobuf rejects); TextEncoder writes U+FFFD there instead.
  return isWellFormed(value) ? writer.string(value) : writer.bytes(utf8Encoder.encode(value));
}

export function newReader(bytes: Uint8Array): Reader {
  return new protobuf.Reader(bytes);
}

// ---------------------------------------------------------------------------------------------------

/**
 * Reading protobuf's wire format, for buf's binary image (image.ts): varints as int32 (the descriptor
 * fields mqgen reads are 32-bit or smaller), strings, sub-messages and skipping of everything else.
 * A tag is `(field number << 3) | wire type`: 0x0a is field 1 length-delimited, 0x10 field 2 varint.
 */
class MalformedImageError extends Error {
  constructor(at: number) {
    super(`internal: buf's image is malformed at byte ${at}`);
  }
}

/** A protobuf reader over one message's bytes, `[pos, end)` of `buf`. */
export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  get more(): boolean {
    return this.pos < this.end;
  }

  /** A varint as int32: the low 32 bits, so a negative int32 (ten bytes on the wire) comes out negative. */
  int32(): number {
    const { buf } = this;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = buf[this.pos++] ?? this.fail();
      value |= (b & 0x7f) << shift;
      if (b < 0x80) return value;
    }
    // Bits above 32 of a 64-bit varint: only sign extension here, skipped.
    for (let i = 0; i < 5; i++) if ((buf[this.pos++] ?? this.fail()) < 0x80) return value;
    return this.fail();
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  bool(): boolean {
    return this.int32() !== 0;
  }

  /** A length-delimited field's bounds; the reader moves past it. */
  bytes(): [number, number] {
    const length = this.uint32();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) this.fail();
    return [start, this.pos];
  }

  string(): string {
    const [start, end] = this.bytes();
    return this.buf.toString("utf8", start, end);
  }

  /** A reader over the length-delimited field at the current position. */
  sub(): Reader {
    const [start, end] = this.bytes();
    return new Reader(this.buf, start, end);
  }

  /** Packed or single varints of a repeated int32 field, by the tag's wire type. */
  int32s(wireType: number, into: number[]): void {
    if (wireType !== 2) {
      into.push(this.int32());
      return;
    }
    const r = this.sub();
    while (r.more) into.push(r.int32());
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.int32();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.bytes();
        return;
      case 3:
        for (;;) {
          const tag = this.uint32();
          if ((tag & 7) === 4) return;
          this.skip(tag & 7);
        }
      case 5:
        this.pos += 4;
        break;
      default:
        this.fail();
    }
    if (this.pos > this.end) this.fail();
  }

  fail(): never {
    throw new MalformedImageError(this.pos);
  }
}

/**
 * Small buffers cut from a shared slab, as protobufjs' Writer does: a fresh ArrayBuffer per message costs
 * more than encoding it. Regions are never reused, so a buffer handed out (and queued for a socket) stays
 * intact; a full slab is simply replaced.
 */
export function slabAllocator(slabSize: number, maxItem: number): (size: number) => Uint8Array {
  let slab = new Uint8Array(slabSize);
  let offset = 0;
  return (size: number): Uint8Array => {
    if (size > maxItem) return new Uint8Array(size);
    if (offset + size > slabSize) {
      slab = new Uint8Array(slabSize);
      offset = 0;
    }
    // The view constructor skips subarray()'s species lookup.
    const out = new Uint8Array(slab.buffer, offset, size);
    // 8-byte alignment, as protobufjs' pool, keeps later views of these bytes cheap.
    offset = (offset + size + 7) & ~7;
    return out;
  };
}

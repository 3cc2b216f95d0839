// A count and two order-free digests of event ids: equal on both sides only if nothing was lost or duplicated.
export interface IdDigest {
  count: number;
  /** XOR of each id's hash: a duplicated id cancels itself out... */
  xor: number;
  /** ...and the sum mod 2^32 of the same hashes counts it twice, so one of the two moves. */
  sum: number;
}

export const emptyDigest = (): IdDigest => ({ count: 0, xor: 0, sum: 0 });

/** FNV-1a over the id's characters (ids are ASCII UUIDs). */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function addId(d: IdDigest, id: string): void {
  const h = hashId(id);
  d.count++;
  d.xor = (d.xor ^ h) >>> 0;
  d.sum = (d.sum + h) >>> 0;
}

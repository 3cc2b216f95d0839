// A stable non-cryptographic hash (FNV-1a, 64 bits) for spec fingerprints and deterministic A/B assignment.

const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** 16 hex digits of FNV-1a 64 over the UTF-16 code units of `text`. */
export function stableHash(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * PRIME) & MASK;
  }
  return h.toString(16).padStart(16, '0');
}

/** A uniform number in [0, 1) from a key: the same key always lands at the same place. */
export function unitHash(text: string): number {
  return Number(BigInt(`0x${stableHash(text)}`) >> 11n) / 2 ** 53;
}

/** A seeded pseudo-random source (mulberry32): randomness as an input, so runs reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

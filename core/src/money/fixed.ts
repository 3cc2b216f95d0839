// Exact fixed-point money in BigInt units of 1e-18: decimal-exact like decimal.js, with cheaper arithmetic per fill.
/** Decimals of one unit. Prices and quantities carry at most ~10 each, so their products stay exact. */
export const UNIT_DECIMALS = 18;
export const ONE_UNIT = 10n ** 18n;
const POW10: bigint[] = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));

/**
 * The number as it prints (its shortest round-trip decimal, so 0.1 is exactly 0.1) in units of 1e-18.
 * Digits beyond 18 decimals are rounded half away from zero.
 */
export function toUnits(x: number): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite amount: ${x}`);
  if (Number.isInteger(x) && Math.abs(x) <= Number.MAX_SAFE_INTEGER) return BigInt(x) * ONE_UNIT;
  let s = String(x);
  const negative = s.charCodeAt(0) === 45;
  if (negative) s = s.slice(1);
  let exponent = 0;
  const e = s.indexOf('e');
  if (e >= 0) {
    exponent = Number(s.slice(e + 1));
    s = s.slice(0, e);
  }
  const dot = s.indexOf('.');
  const digits = dot >= 0 ? s.slice(0, dot) + s.slice(dot + 1) : s;
  const shift = UNIT_DECIMALS + exponent - (dot >= 0 ? s.length - dot - 1 : 0);
  // BigInt from a string is slow; up to 15 digits go through an exact double instead.
  const mantissa = digits.length <= 15 ? BigInt(Number(digits)) : BigInt(digits);
  const units = shift >= 0 ? mantissa * pow10(shift) : roundDiv(mantissa, pow10(-shift));
  return negative ? -units : units;
}

const MAX_EXACT = 9007199254740992n;
const E10 = 10n ** 10n;

/** The double nearest to the exact decimal amount. */
export function fromUnits(units: bigint): number {
  // Fast paths: amount = m / 10^d with |m| < 2^53 (here d = 0 or 8), and one IEEE division of two exact
  // doubles is correctly rounded. Money rarely has more than 8 decimals, so BigInt-to-string is rare.
  if (units % ONE_UNIT === 0n) {
    const whole = units / ONE_UNIT;
    if (whole < MAX_EXACT && whole > -MAX_EXACT) return Number(whole);
  } else if (units % E10 === 0n) {
    const m = units / E10;
    if (m < MAX_EXACT && m > -MAX_EXACT) return Number(m) / 1e8;
  }
  const negative = units < 0n;
  const s = (negative ? -units : units).toString().padStart(UNIT_DECIMALS + 1, '0');
  const cut = s.length - UNIT_DECIMALS;
  const value = Number(`${s.slice(0, cut)}.${s.slice(cut)}`);
  return negative ? -value : value;
}

/** a * b for amounts in units; rounds half away from zero below 1e-18 (exact for price * quantity). */
export function mulUnits(a: bigint, b: bigint): bigint {
  return roundDiv(a * b, ONE_UNIT);
}

/** a / b for amounts in units, rounded half away from zero to 1e-18. */
export function divUnits(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError('division by zero');
  return roundDiv(a * ONE_UNIT, b);
}

/** The amount as a plain decimal string: unitsToString(toUnits(0.1) + toUnits(0.2)) === '0.3'. */
export function unitsToString(units: bigint): string {
  const negative = units < 0n;
  const s = (negative ? -units : units).toString().padStart(UNIT_DECIMALS + 1, '0');
  const cut = s.length - UNIT_DECIMALS;
  const fraction = s.slice(cut).replace(/0+$/, '');
  return `${negative ? '-' : ''}${s.slice(0, cut)}${fraction ? `.${fraction}` : ''}`;
}

function pow10(n: number): bigint {
  return POW10[n] ?? 10n ** BigInt(n);
}

/** n / d rounded half away from zero. */
function roundDiv(n: bigint, d: bigint): bigint {
  const negative = (n < 0n) !== (d < 0n);
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an + ad / 2n) / ad;
  return negative ? -q : q;
}

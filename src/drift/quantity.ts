/**
 * Kubernetes resource quantities (`500m`, `0.5`, `1Gi`, `1024Mi`, `1e3`, `1k`) compared by value.
 * A quantity is reduced to an exact canonical string `<sign><digits>e<exponent>` with no trailing
 * zeros in the digits, so equal amounts compare equal however they were spelled.
 */

/** Decimal suffixes and the power of ten each stands for. */
export const DECIMAL_SUFFIX: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);

/** Binary suffixes and the multiple each stands for. */
export const BINARY_SUFFIX: ReadonlyMap<string, bigint> = new Map([
  ['Ki', 1024n],
  ['Mi', 1024n ** 2n],
  ['Gi', 1024n ** 3n],
  ['Ti', 1024n ** 4n],
  ['Pi', 1024n ** 5n],
  ['Ei', 1024n ** 6n],
]);

// The exponent form is tried before the suffix so that `1E3` is a thousand and `1E` an exa.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

// Beyond this the value is not a plausible quantity; refusing it keeps BigInt work bounded.
const MAX_EXPONENT = 400;

const cache = new Map<string, string | null>();
const CACHE_LIMIT = 4096;

function compute(text: string): string | null {
  const m = QUANTITY.exec(text.trim());
  if (!m) return null;
  const sign = m[1] === '-' ? '-' : '';
  const number = m[2] ?? '';
  const dot = number.indexOf('.');
  const intPart = dot < 0 ? number : number.slice(0, dot);
  const fracPart = dot < 0 ? '' : number.slice(dot + 1);
  let exponent = -fracPart.length;
  if (m[3] !== undefined) {
    const e = Number(m[3]);
    if (Math.abs(e) > MAX_EXPONENT) return null;
    exponent += e;
  }
  let digits = BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0');
  const suffix = m[4] ?? '';
  const binary = BINARY_SUFFIX.get(suffix);
  if (binary !== undefined) digits *= binary;
  else exponent += DECIMAL_SUFFIX.get(suffix) ?? 0;
  if (digits === 0n) return '0';
  while (digits % 10n === 0n) {
    digits /= 10n;
    exponent += 1;
  }
  return `${sign}${digits}e${exponent}`;
}

/** The canonical form of a quantity, or undefined when the value is not a quantity. */
export function canonicalQuantity(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else return undefined;
  let canonical = cache.get(text);
  if (canonical === undefined) {
    canonical = compute(text);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, canonical);
  }
  return canonical ?? undefined;
}

/** True when both values are quantities of the same amount (`1000m` and `1`, `1Gi` and `1024Mi`). */
export function quantitiesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ca = canonicalQuantity(a);
  return ca !== undefined && ca === canonicalQuantity(b);
}

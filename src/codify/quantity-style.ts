/**
 * A live quantity spelled the way the manifest spells its quantities: the API server answers `1Gi`
 * where the file said `512Mi`, and the file should then say `1024Mi`; `500m` becomes `1000m`, not `1`.
 */
import { BINARY_SUFFIX, canonicalQuantity, DECIMAL_SUFFIX } from '../drift/quantity.js';

const BINARY = BINARY_SUFFIX;
const DECIMAL = DECIMAL_SUFFIX;

const SPELLING = /^([+-]?)(\d+)(?:\.(\d+))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/;

interface Style {
  suffix: string;
  /** The file wrote a fraction (`0.5`), so one may be written again. */
  fraction: boolean;
  /** The file wrote a YAML number, not a string. */
  number: boolean;
}

function styleOf(like: unknown): Style | undefined {
  if (typeof like !== 'string' && typeof like !== 'number') return undefined;
  const m = SPELLING.exec(String(like).trim());
  if (!m) return undefined;
  return { suffix: m[4] ?? '', fraction: m[3] !== undefined, number: typeof like === 'number' };
}

/** `digits × 10^exponent` divided by `10^scale × factor`, as a decimal string, or undefined when it is not exact in the style. */
function express(canonical: string, suffix: string, fraction: boolean): string | undefined {
  if (canonical === '0') return '0';
  const m = /^(-?)(\d+)e(-?\d+)$/.exec(canonical);
  if (!m) return undefined;
  const sign = m[1] ?? '';
  const digits = BigInt(m[2] ?? '0');
  const exponent = Number(m[3]);
  const binary = BINARY.get(suffix);
  if (binary !== undefined) {
    const numerator = exponent >= 0 ? digits * 10n ** BigInt(exponent) : digits;
    const denominator = (exponent >= 0 ? 1n : 10n ** BigInt(-exponent)) * binary;
    return numerator % denominator === 0n ? `${sign}${numerator / denominator}` : undefined;
  }
  const scale = DECIMAL.get(suffix);
  if (scale === undefined) return undefined;
  const shift = exponent - scale;
  if (shift >= 0) return `${sign}${digits * 10n ** BigInt(shift)}`;
  if (!fraction) return undefined;
  const text = digits.toString().padStart(-shift + 1, '0');
  return `${sign}${text.slice(0, shift)}.${text.slice(shift)}`;
}

/**
 * `live` spelled like `like` (the quantity the manifest has there, or a neighbour of it): the same
 * suffix and form where the amount can be written exactly so, `like` itself when the amount is the
 * same, else `live` unchanged.
 */
export function spellLike(live: unknown, like: unknown): unknown {
  const canonical = canonicalQuantity(live);
  if (canonical === undefined) return live;
  if (canonicalQuantity(like) === canonical) return like;
  const style = styleOf(like);
  if (!style) return live;
  const amount = express(canonical, style.suffix, style.fraction);
  if (amount === undefined) return live;
  if (style.number && style.suffix === '') {
    const n = Number(amount);
    return String(n) === amount ? n : live;
  }
  return `${amount}${style.suffix}`;
}

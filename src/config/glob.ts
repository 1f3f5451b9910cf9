/**
 * The globs `stopgap.yml` uses to match objects (ignore rules, team routing): `*` matches any run of
 * characters, `?` one character, case-insensitively. An omitted glob matches everything.
 */

const cache = new Map<string, RegExp>();

function compile(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

export function globMatch(glob: string | undefined, value: string): boolean {
  if (glob === undefined) return true;
  let re = cache.get(glob);
  if (!re) {
    re = compile(glob);
    cache.set(glob, re);
  }
  return re.test(value);
}

/**
 * Which audited resources matter: the kinds a cluster watches, as the audit log names them (the plural
 * resource and its API group: `apps/deployments`, `configmaps`). Pure.
 */

/** The plural resource name Kubernetes uses for a Kind (`NetworkPolicy` → `networkpolicies`). */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}

/** Keys for the watched kinds: `group/plural`, or `*\/plural` when the kind was named without a group. */
export function watchedResources(kinds: readonly { group?: string; kind: string }[]): Set<string> {
  const out = new Set<string>();
  for (const k of kinds) {
    const plural = pluralOf(k.kind);
    out.add(k.group === undefined ? `*/${plural}` : k.group === '' ? plural : `${k.group}/${plural}`);
  }
  return out;
}

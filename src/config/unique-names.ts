import type { z } from 'zod';

/** A zod check that no two entries of a list share a `name`; `what` names them in the message. */
export function uniqueNames(what: string) {
  return (entries: readonly { name: string }[], ctx: z.RefinementCtx): void => {
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${what} name '${e.name}' is used twice; names must be unique` });
      seen.add(e.name);
    });
  };
}

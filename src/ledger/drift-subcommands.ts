/**
 * The `/fix` subcommands about drift: `claim <finding or resource> SG-n` links drift to a change,
 * `unclaim <finding or resource>` takes it back, `drift [cluster]` lists what nobody has claimed.
 * A finding is named by its key (`D-17`, as Stopgap shows it); a resource as when logging a change
 * (`deploy/web -n shop --cluster prod-eu`), read by the change-draft grammar. Pure.
 */
import { readDraft, type DraftContext } from './change-draft.js';
import { changeId, error, extraArgs, refuseHidden, type ArgError, type Reader } from './fix-args.js';
import { argTokens, echo, stripWrap } from './fix-text.js';
import { stripHiddenCharacters } from './input-limits.js';
import type { ResourceRef } from './model.js';

/** What a claim or unclaim names: one finding, or every finding of one object. */
export type DriftTarget = { finding: number } | { resource: ResourceRef; cluster?: string };

export type DriftSubcommand =
  | { type: 'claim'; target: DriftTarget; id: number }
  | { type: 'unclaim'; target: DriftTarget }
  | { type: 'drift'; cluster?: string };

/** How a finding is named to people: `D-17`. */
export function findingKey(id: number): string {
  return `D-${id}`;
}

export function parseFindingKey(text: string): number | undefined {
  const m = /^d-(\d{1,9})$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n : undefined;
}

function target(text: string, ctx: DraftContext, r: Reader, example: string): DriftTarget | ArgError {
  const words = argTokens(r.codec, text, 'label');
  const only = words.length === 1 ? parseFindingKey(stripWrap(words[0] ?? '')) : undefined;
  if (only !== undefined) return { finding: only };
  const draft = readDraft(text, ctx, r.cmd);
  const problem = draft.problems[0];
  if (problem) return error(draft.problems.map((p) => p.message).join(' '), example);
  if (draft.resources.length === 0) {
    return error(`${echo(r.codec, text.trim())} names no drift finding or resource: give a finding such as D-17, or a resource such as deploy/web -n shop.`, example);
  }
  if (draft.resources.length > 1) return error('Name one resource at a time.', example);
  const resource = draft.resources[0] as ResourceRef;
  return draft.cluster === undefined ? { resource } : { resource, cluster: draft.cluster };
}

export function claimCommand(rest: string, ctx: DraftContext, r: Reader): DriftSubcommand | ArgError {
  const example = `${r.cmd} claim deploy/payments-api -n shop SG-12`;
  const hidden = refuseHidden(rest, example, r.codec);
  if (hidden) return hidden;
  const clean = stripHiddenCharacters(rest).trim();
  if (clean === '') return error('What do you claim? Give the drift finding or the resource, then the change it belongs to.', example);
  const words = clean.split(/\s+/);
  const last = words[words.length - 1];
  if (words.length < 2) {
    return error(`Which change does ${echo(r.codec, clean)} belong to? End with its ID.`, example);
  }
  const id = changeId(last, 'Which change does it belong to? End with its ID.', example, r, 'claim');
  if (typeof id !== 'number') return id;
  const t = target(words.slice(0, -1).join(' '), ctx, r, example);
  if ('type' in t) return t;
  return { type: 'claim', target: t, id };
}

export function unclaimCommand(rest: string, ctx: DraftContext, r: Reader): DriftSubcommand | ArgError {
  const example = `${r.cmd} unclaim deploy/payments-api -n shop`;
  const hidden = refuseHidden(rest, example, r.codec);
  if (hidden) return hidden;
  const clean = stripHiddenCharacters(rest).trim();
  if (clean === '') return error('What do you unclaim? Give the drift finding or the resource.', example);
  const t = target(clean, ctx, r, example);
  if ('type' in t) return t;
  return { type: 'unclaim', target: t };
}

export function driftCommand(rest: string, ctx: DraftContext, r: Reader): DriftSubcommand | ArgError {
  const configured = ctx.clusters ?? [];
  const example = `${r.cmd} drift ${configured[0] ?? 'prod-eu'}`;
  const hidden = refuseHidden(rest, example, r.codec);
  if (hidden) return hidden;
  const args = argTokens(r.codec, stripHiddenCharacters(rest), 'label');
  if (args.length === 0) return { type: 'drift' };
  if (args.length > 1) return error(extraArgs(r, 'drift', 'at most a cluster name', args.slice(1)), example);
  const name = stripWrap(args[0] ?? '').replace(/^@/, '');
  if (!configured.includes(name)) {
    const known = configured.length === 0 ? 'No clusters are configured.' : `Configured clusters: ${configured.join(', ')}.`;
    return error(`${echo(r.codec, args[0] ?? '')} is not a configured cluster. ${known}`, example);
  }
  return { type: 'drift', cluster: name };
}

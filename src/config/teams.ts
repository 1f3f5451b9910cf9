import { z } from 'zod';
import { globMatch } from './glob.js';
import { NaggingOverride } from './nagging.js';
import { DigestOverride } from './digest.js';
import { SlackChannelId, SlackUserId } from './slack-ids.js';
import { uniqueNames } from './unique-names.js';

/**
 * Teams: who owns which part of the clusters. The first team whose `match` covers an object or a
 * change owns it; its channel gets the drift nobody claimed (and, later, escalations and its digest).
 */

/** Every criterion given must match (globs with `*` and `?`); an entry with none matches everything. */
export const TeamMatch = z.strictObject({
  cluster: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  /** A Kind (`Deployment`) or the `/fix` spelling (`deployment`); compared without case. */
  kind: z.string().min(1).optional(),
});
export type TeamMatch = z.infer<typeof TeamMatch>;

export const TeamConfig = z.strictObject({
  name: z.string().min(1).max(80),
  channel: SlackChannelId,
  members: z.array(SlackUserId).optional(),
  match: z.array(TeamMatch).min(1, 'give at least one match entry, e.g. { namespace: shop }'),
  /** This team's reminder and escalation settings, over the top level's `nagging:`. */
  nagging: NaggingOverride.optional(),
  /** This team's digest schedule, over the top level's `digest:`. */
  digest: DigestOverride.optional(),
});
export type TeamConfig = z.infer<typeof TeamConfig>;

export const TeamsConfig = z
  .array(TeamConfig)
  .default([])
  .superRefine(uniqueNames('team'));

/**
 * What a team is matched against: an object in a cluster, or what a change names. A part that is
 * missing, null or empty (a node's namespace, a change with no cluster) is one the subject has no value for.
 */
export interface TeamSubject {
  cluster?: string | null;
  namespace?: string | null;
  kind?: string | null;
}

function covers(match: TeamMatch, subject: TeamSubject): boolean {
  // A criterion the subject has no value for (a node has no namespace) does not match.
  const one = (glob: string | undefined, value: string | null | undefined) => glob === undefined || (!!value && globMatch(glob, value));
  return one(match.cluster, subject.cluster) && one(match.namespace, subject.namespace) && one(match.kind, subject.kind);
}

/** The team that owns a subject: the first whose match covers it. */
export function teamFor(teams: readonly TeamConfig[], subject: TeamSubject): TeamConfig | undefined {
  return teams.find((t) => t.match.some((m) => covers(m, subject)));
}

/** The channel for a subject's team, else the default channel; undefined when neither is configured. */
export function channelFor(teams: readonly TeamConfig[], defaultChannel: string | undefined, subject: TeamSubject): string | undefined {
  return teamFor(teams, subject)?.channel ?? defaultChannel;
}

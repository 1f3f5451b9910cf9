import { z } from 'zod';
import { incidentFromChannel } from '../ledger/change-draft.js';
import type { ResourceRef } from '../ledger/model.js';
import type { SlackContext } from './context.js';
import { logChangeModal, type LogChangePrefill } from './views/index.js';

/** What the modal carries between opening and submission; validated on the way back in. */
export const LogChangeMetadata = z.object({
  channelId: z.string().optional(),
  channelName: z.string().optional(),
  commandName: z.string().default('/fix'),
  source: z.enum(['modal', 'shortcut']),
  messageLink: z.string().optional(),
  /** Drift findings the new change claims (opened from an unclaimed-drift message). */
  claimFindings: z.array(z.number().int().positive()).max(100).optional(),
});
export type LogChangeMetadata = z.infer<typeof LogChangeMetadata>;

/** Opens the "Log a change" form; false when Slack would not (the caller tells the person another way). */
export async function openLogChangeModal(
  ctx: SlackContext,
  args: LogChangeMetadata & { triggerId: string; prefill: LogChangePrefill },
): Promise<boolean> {
  const { triggerId, prefill, ...metadata } = args;
  const clusters = ctx.config.file.clusters.map((c) => c.name);
  const incident = prefill.incident ?? incidentFromChannel(metadata.channelName, ctx.incidentChannelPattern);
  return ctx.openView(
    triggerId,
    logChangeModal({
      prefill: { ...prefill, incident },
      clusters,
      privateMetadata: JSON.stringify(metadata),
      commandName: metadata.commandName,
    }),
  );
}

export const FORM_UNAVAILABLE = (commandName: string) =>
  `Slack would not open the form just now, so nothing was logged. Type \`${commandName} <what you changed>\` instead, e.g. \`${commandName} scaled deploy/payments-api -n shop to 12\`.`;

export function resourceText(refs: ResourceRef[]): string {
  return refs.map((r) => `${r.group ? `${r.kind}.${r.group}` : r.kind}/${r.name}`).join(', ');
}

/** Slack's archive link for a message, built without an API call so the modal opens within the trigger's life. */
export function messageLink(teamDomain: string | undefined, channelId: string | undefined, ts: string | undefined): string | undefined {
  if (!teamDomain || !channelId || !ts) return undefined;
  return `https://${teamDomain}.slack.com/archives/${channelId}/p${ts.replace('.', '')}`;
}


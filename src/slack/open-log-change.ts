import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { incidentFromChannel } from '../ledger/fix-command.js';
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
});
export type LogChangeMetadata = z.infer<typeof LogChangeMetadata>;

export async function openLogChangeModal(
  ctx: SlackContext,
  client: WebClient,
  args: LogChangeMetadata & { triggerId: string; prefill: LogChangePrefill },
): Promise<void> {
  const { triggerId, prefill, ...metadata } = args;
  const clusters = ctx.config.file.clusters.map((c) => c.name);
  const incident = prefill.incident ?? incidentFromChannel(metadata.channelName, ctx.incidentChannelPattern);
  try {
    await client.views.open({
      trigger_id: triggerId,
      view: logChangeModal({
        prefill: { ...prefill, incident },
        clusters,
        privateMetadata: JSON.stringify(metadata),
        commandName: metadata.commandName,
      }),
    });
  } catch (err) {
    ctx.deliveryFailed('modal_open', err);
  }
}

export function resourceText(refs: ResourceRef[]): string {
  return refs.map((r) => `${r.group ? `${r.kind}.${r.group}` : r.kind}/${r.name}`).join(', ');
}

/** Slack's archive link for a message, built without an API call so the modal opens within the trigger's life. */
export function messageLink(teamDomain: string | undefined, channelId: string | undefined, ts: string | undefined): string | undefined {
  if (!teamDomain || !channelId || !ts) return undefined;
  return `https://${teamDomain}.slack.com/archives/${channelId}/p${ts.replace('.', '')}`;
}


import { z } from 'zod';

/** Slack identifiers as `stopgap.yml` names them. */
export const SlackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, { message: 'a Slack user ID looks like U024BE7LH' });

export const SlackChannelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, {
  message: 'a Slack channel ID looks like C024BE91L (channel details → About, at the bottom); names are not accepted because they change',
});

import type { KnownBlock } from '@slack/types';

/** A message ready for chat.postMessage / chat.postEphemeral / respond(): blocks plus the plain-text fallback. */
export type SlackMessage = {
  /** Shown in notifications and by clients that cannot render blocks. */
  text: string;
  blocks: KnownBlock[];
};

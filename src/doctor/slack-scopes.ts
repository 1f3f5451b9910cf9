/**
 * The bot scopes Stopgap asks for in manifest.yml, each with what it is for: `stopgap doctor` names
 * the reason of every scope a token lacks. A test keeps this list and manifest.yml the same.
 */
export interface BotScope {
  scope: string;
  why: string;
}

export const BOT_SCOPES: readonly BotScope[] = [
  { scope: 'commands', why: 'the /fix command and the "Log as temporary fix" message shortcut' },
  { scope: 'chat:write', why: 'announcements, reminder and escalation messages, unclaimed drift posts and the weekly digest, and updating them in place' },
  { scope: 'chat:write.public', why: 'posting in public channels the bot was not invited to (a change announced in an incident channel)' },
  { scope: 'im:write', why: 'direct messages to owners: reminders, escalations, "You changed this by hand"' },
  { scope: 'users:read', why: "people's time zones (users.info), so reminders come in their working hours and dates mean their days" },
  { scope: 'users:read.email', why: 'finding who made drift by the e-mail address the Kubernetes audit log names them by (users.lookupByEmail)' },
  { scope: 'channels:read', why: 'looking up public channels (conversations.info), which stopgap doctor uses to check the configured channels' },
  { scope: 'groups:read', why: 'looking up private channels the bot was invited to (conversations.info), for the same checks' },
  { scope: 'files:write', why: 'sending a change\'s patch for the manifests in git as a file in a DM (/fix codify, the Codify button)' },
];

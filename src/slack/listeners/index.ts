import type { App as BoltApp } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import { registerChangeButtons } from './actions/change-buttons.js';
import { registerDigestButtons } from './actions/digest-buttons.js';
import { registerDriftButtons } from './actions/drift-buttons.js';
import { registerFixCommand } from './commands/fix.js';
import { registerHome } from './events/app-home-opened.js';
import { ignoreRetriedEvents } from './events/retried-events.js';
import { registerLogShortcut } from './shortcuts/log-temporary-fix.js';
import { registerChangeActionSubmission } from './views/change-action.js';
import { registerLogChangeSubmission } from './views/log-change.js';
import { registerIgnoreDriftSubmission, registerLinkDriftSubmission } from './views/link-drift.js';

/** Every listener, by Slack surface (the bolt-js layout): commands, actions, views, shortcuts, events. */
export function registerListeners(app: BoltApp, ctx: SlackContext): void {
  ignoreRetriedEvents(app, ctx);
  registerFixCommand(app, ctx);
  registerChangeButtons(app, ctx);
  registerDriftButtons(app, ctx);
  registerDigestButtons(app, ctx);
  registerLinkDriftSubmission(app, ctx);
  registerIgnoreDriftSubmission(app, ctx);
  registerChangeActionSubmission(app, ctx);
  registerLogChangeSubmission(app, ctx);
  registerLogShortcut(app, ctx);
  registerHome(app, ctx);
}

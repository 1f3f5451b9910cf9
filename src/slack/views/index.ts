export * from './change-views.js';
export * from './log-change-modal.js';
export * from './mrkdwn.js';
export * from './replies.js';
export * from './types.js';
export * from './change-action-modal.js';
export * from './drift-views.js';

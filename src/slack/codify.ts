/**
 * `/fix codify SG-n` and the Codify button, after the acknowledgement: the change's live drift as a patch
 * for the manifests in git, sent to the person who asked as a file in their DM with Stopgap, with how to
 * apply it. A DM, not the channel: the patch names files and values of the cluster, and it is a draft for
 * one person's pull request, not news. Secret values are never in it (the core writes placeholders).
 *
 * When there is nothing to codify, or no patch can be made, the person is told why, privately where they
 * asked. Slack refusing the upload (an error, a 429) is told to them and counted as a delivery failure;
 * nothing here changes the ledger.
 */
import { ErrorCode, WebClient } from '@slack/web-api';
import { gitRepoOf } from '../codify/git-repo.js';
import type { ChangeCodify } from '../codify/types.js';
import type { ServeConfig } from '../config/config.js';
import { isStopgapError } from '../errors.js';
import type { Metrics } from '../http/metrics.js';
import type { Logger } from '../log.js';
import type { LedgerStore } from '../store/ledger-store.js';
import { countingSlackFetch, slackApiUrlOf } from './api-metrics.js';
import { responderFor } from './response-url.js';
import {
  codifyFailed,
  codifyFilename,
  codifyImpossible,
  codifyNotSent,
  codifyNothing,
  codifyPatchComment,
  codifyPatchTitle,
  codifySent,
} from './views/codify.js';
import { escapeAndTruncate } from './views/mrkdwn.js';
import type { SlackMessage } from './views/types.js';

/** A change's patch, from its active linked drift and its cluster's desired source (`codifyChange`). */
export type CodifyChange = (changeId: number) => Promise<ChangeCodify>;

/** Who asked for which change's patch, and where to answer them. */
export interface CodifyAsk {
  changeId: number;
  changeKey: string;
  user: string;
  /** The command's or the click's response_url: answers other than the patch go there, privately; else by DM. */
  responseUrl?: string;
  /** The conversation a click came from: when it is not the DM the patch went to, the person is told where it is. */
  from?: string;
  /** The command as the workspace names it, for the instructions. */
  commandName?: string;
}

export interface CodifySender {
  /** Makes the patch and sends it, or says why not; never throws. */
  send(ask: CodifyAsk): Promise<void>;
}

export interface CodifySenderDeps {
  config: ServeConfig;
  metrics: Metrics;
  logger: Logger;
  codifyChange: CodifyChange;
  deliveryFailed(kind: string, err: unknown, fields?: Record<string, unknown>): void;
  /** Slack client for the upload; by default one that reports 429s instead of waiting on them. */
  client?: WebClient;
}

/**
 * Whether this is the first delivery of a request (its `trigger:` or `action:` key claimed in the ledger's
 * request keys), so a click Slack delivers twice sends one patch. A ledger too busy to say is taken as a
 * first delivery: a patch sent twice does less harm than none.
 */
export async function firstAsk(deps: { ledger: LedgerStore; logger: Logger }, key: string | undefined, now: Date, change: string): Promise<boolean> {
  if (key === undefined) return true;
  try {
    return await deps.ledger.claimRequestSoon(key, now);
  } catch (err) {
    deps.logger.warn({ err, change }, 'could not record the codify request; a replay of it may send the patch again');
    return true;
  }
}

/** The manifests directory's path inside its git repository (`''` at the top), or undefined outside one: `git apply --directory`. */
export async function repoDirOf(root: string): Promise<string | undefined> {
  return (await gitRepoOf(root))?.inside;
}

/** Why Slack did not take the patch, for the person: what happened and what to do. */
function whyNotSent(err: unknown): string {
  const e = err as { code?: unknown; retryAfter?: unknown; data?: { error?: unknown }; statusCode?: unknown };
  if (e.code === ErrorCode.RateLimitedError) {
    const seconds = typeof e.retryAfter === 'number' && e.retryAfter > 0 ? Math.ceil(e.retryAfter) : 30;
    return `Slack is limiting how fast Stopgap may upload files just now. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  }
  const error = typeof e.data?.error === 'string' ? e.data.error : undefined;
  if (error === 'missing_scope') {
    return 'Stopgap\'s Slack app may not upload files (it lacks the `files:write` scope): ask whoever installed it to reinstall it from manifest.yml (`stopgap doctor` checks the scopes).';
  }
  if (error) return `Slack answered \`${escapeAndTruncate(error, 60, false)}\`. Try again in a moment.`;
  if (typeof e.statusCode === 'number') return `Slack answered HTTP ${e.statusCode}. Try again in a moment.`;
  return 'Slack could not be reached. Try again in a moment.';
}

/** Slack's error code, or the HTTP status, for the log. */
function errorCodeOf(err: unknown): string {
  const e = err as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown };
  if (e.code === ErrorCode.RateLimitedError) return 'ratelimited';
  if (typeof e.data?.error === 'string') return e.data.error;
  if (typeof e.statusCode === 'number') return `http_${e.statusCode}`;
  return typeof e.code === 'string' ? e.code : 'error';
}

export function createCodifySender(deps: CodifySenderDeps): CodifySender {
  const log = deps.logger.child({ component: 'codify' });
  const slackApiUrl = slackApiUrlOf(deps.config);
  const client =
    deps.client ??
    new WebClient(deps.config.slack.botToken, {
      ...(slackApiUrl ? { slackApiUrl } : {}),
      // A person is waiting: a 429 is told to them (with Slack's Retry-After), not waited out behind their back.
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 },
      timeout: 15_000,
      fetch: countingSlackFetch(deps.metrics),
    });

  /** Tells the person privately where they asked (response_url), else by DM; a failure is counted, not thrown. */
  async function tell(ask: CodifyAsk, message: SlackMessage): Promise<void> {
    try {
      if (ask.responseUrl) await responderFor(ask.responseUrl)({ response_type: 'ephemeral', text: message.text, blocks: message.blocks, replace_original: false });
      else await client.chat.postMessage({ channel: ask.user, text: message.text, blocks: message.blocks });
    } catch (err) {
      deps.deliveryFailed('codify_reply', err, { change: ask.changeKey, user: ask.user });
    }
  }

  async function upload(ask: CodifyAsk, outcome: Extract<ChangeCodify, { outcome: 'patch' }>): Promise<void> {
    const shown = outcome.result.secretsShown;
    if (shown.length > 0) {
      // A diff carries the lines around and under each change: here some hold secret values from git.
      log.info({ change: ask.changeKey, user: ask.user, files: shown }, 'codify patch not sent: it shows secret values from the manifests');
      const files = shown.map((f) => `\`${escapeAndTruncate(f, 200, false)}\``).join(', ');
      await tell(ask, codifyNotSent(ask.changeKey, `it would show secret values that ${files} ${shown.length === 1 ? 'holds' : 'hold'} in clear (in the lines it changes or around them), and Stopgap never puts a secret into Slack.`));
      return;
    }
    const repoDir = await repoDirOf(outcome.root);
    const comment = codifyPatchComment({ changeKey: ask.changeKey, cluster: outcome.cluster, result: outcome.result, root: outcome.root, ...(repoDir !== undefined ? { repoDir } : {}), ...(ask.commandName ? { commandName: ask.commandName } : {}) });
    let channel: string | undefined;
    try {
      // A file can only be shared in a conversation: the DM's own ID, not the person's.
      const opened = await client.conversations.open({ users: ask.user });
      channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open named no conversation');
      await client.filesUploadV2({
        channel_id: channel,
        content: outcome.result.patch,
        filename: codifyFilename(ask.changeKey),
        title: codifyPatchTitle(ask.changeKey, outcome.cluster),
        snippet_type: 'diff',
        initial_comment: comment,
      });
    } catch (err) {
      deps.deliveryFailed('codify_upload', err, { change: ask.changeKey, user: ask.user, error: errorCodeOf(err) });
      await tell(ask, codifyNotSent(ask.changeKey, whyNotSent(err)));
      return;
    }
    log.info(
      { change: ask.changeKey, user: ask.user, files: outcome.result.files, written: outcome.result.written.length, notWritten: outcome.result.notWritten.length, warnings: outcome.result.warnings.length },
      'codify patch sent',
    );
    // A click in a DM with the bot (IDs starting with D, or named by the person's own ID) is where the file went already.
    if (ask.from !== undefined && ask.from !== channel && ask.from !== ask.user && !ask.from.startsWith('D')) await tell(ask, codifySent(ask.changeKey));
  }

  return {
    async send(ask) {
      let outcome: ChangeCodify;
      try {
        outcome = await deps.codifyChange(ask.changeId);
      } catch (err) {
        // A StopgapError says what went wrong for the person (a manifests directory that cannot be read).
        log.error({ err, change: ask.changeKey, user: ask.user }, 'could not make a codify patch');
        await tell(ask, codifyFailed(ask.changeKey, isStopgapError(err) ? err.message : 'something went wrong on our side.'));
        return;
      }
      switch (outcome.outcome) {
        case 'nothing':
          log.info({ change: ask.changeKey, user: ask.user }, 'nothing to codify');
          await tell(ask, codifyNothing(ask.changeKey, outcome.reason));
          return;
        case 'impossible':
          log.info({ change: ask.changeKey, user: ask.user, notWritten: outcome.result.notWritten.length }, 'no codify patch possible');
          await tell(ask, codifyImpossible(ask.changeKey, outcome.reason, outcome.result, ask.commandName));
          return;
        case 'patch':
          await upload(ask, outcome);
          return;
      }
    },
  };
}

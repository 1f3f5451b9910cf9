import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sharedFixtures } from './support/shared-fixtures.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const manifestPath = fileURLToPath(new URL('../manifest.yml', import.meta.url));
// Slack's published schema, from the shared fixtures: skipped without them (the own check below
// still runs), a failure in CI.
const slack = sharedFixtures('slack');

function loadManifest(): Record<string, unknown> {
  return parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
}

/** What Stopgap itself relies on, checked without the upstream schema. */
const StopgapManifest = z.object({
  display_information: z.object({ name: z.literal('Stopgap'), description: z.string().min(1).max(140) }),
  features: z.object({
    bot_user: z.object({ display_name: z.literal('stopgap'), always_online: z.literal(true) }),
    app_home: z.object({
      home_tab_enabled: z.literal(true),
      messages_tab_enabled: z.literal(true),
      messages_tab_read_only_enabled: z.literal(false),
    }),
    slash_commands: z
      .array(
        z.object({
          command: z.string().regex(/^\/[a-z0-9_-]+$/),
          url: z.string().regex(/^https:\/\/.+\/slack\/events$/),
          usage_hint: z.string().min(1).max(1000),
          should_escape: z.literal(true),
        }),
      )
      .length(1),
    shortcuts: z
      .array(z.object({ name: z.string().max(24), type: z.literal('message'), callback_id: z.literal('log_temporary_fix') }))
      .length(1),
  }),
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()) }) }),
  settings: z.object({
    event_subscriptions: z.object({ request_url: z.url(), bot_events: z.array(z.string()) }),
    interactivity: z.object({ is_enabled: z.literal(true), request_url: z.url() }),
    socket_mode_enabled: z.literal(false),
    org_deploy_enabled: z.literal(false),
    token_rotation_enabled: z.literal(false),
  }),
});

describe('manifest.yml, own structural check', () => {
  it('declares /fix, the message shortcut, interactivity and App Home events', () => {
    const m = StopgapManifest.parse(loadManifest());
    expect(m.features.slash_commands[0]?.command).toBe('/fix');
    expect(m.features.slash_commands[0]?.usage_hint).toContain('codified SG-n URL');
    expect(m.settings.event_subscriptions.bot_events).toContain('app_home_opened');
  });

  it('asks for exactly the bot scopes Stopgap uses', () => {
    const m = StopgapManifest.parse(loadManifest());
    expect([...m.oauth_config.scopes.bot].sort()).toEqual(
      // users:read.email: who made drift, found by the e-mail address the audit log names them by;
      // files:write: a change's patch sent as a file (/fix codify, the Codify button).
      ['channels:read', 'chat:write', 'chat:write.public', 'commands', 'groups:read', 'im:write', 'users:read', 'users:read.email', 'files:write'].sort(),
    );
  });

  it('sends commands, interactivity and events to the one /slack/events route', () => {
    const m = StopgapManifest.parse(loadManifest());
    const urls = new Set([
      m.features.slash_commands[0]?.url,
      m.settings.event_subscriptions.request_url,
      m.settings.interactivity.request_url,
    ]);
    expect([...urls]).toEqual(['https://stopgap.example.com/slack/events']);
  });

  it('rejects what Slack would reject, without the upstream schema: no leading slash, shortcut type msg, a long name', () => {
    const noSlash = loadManifest() as { features: { slash_commands: { command: string }[] } };
    noSlash.features.slash_commands[0]!.command = 'fix';
    expect(StopgapManifest.safeParse(noSlash).error?.issues.map((i) => i.path.join('.'))).toEqual(['features.slash_commands.0.command']);
    const msg = loadManifest() as { features: { shortcuts: { type: string }[] } };
    msg.features.shortcuts[0]!.type = 'msg';
    expect(StopgapManifest.safeParse(msg).error?.issues.map((i) => i.path.join('.'))).toEqual(['features.shortcuts.0.type']);
    const long = loadManifest() as { features: { shortcuts: { name: string }[] } };
    long.features.shortcuts[0]!.name = 'Log this message as a temporary fix';
    expect(StopgapManifest.safeParse(long).error?.issues.map((i) => i.path.join('.'))).toEqual(['features.shortcuts.0.name']);
  });

  it('explains how to switch to Socket Mode', () => {
    const text = readFileSync(manifestPath, 'utf8');
    expect(text).toMatch(/#.*socket_mode_enabled: true/);
    expect(text).toMatch(/#.*SLACK_APP_TOKEN/);
  });
});

describe.skipIf(!slack.present)("manifest.yml against Slack's published v1 schema", () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    const schema = JSON.parse(readFileSync(slack.path('manifest.schema.json'), 'utf8')) as Record<string, unknown>;
    // strict: false because the schema uses the non-standard keywords `_note` and `regex`.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    validate = ajv.compile(schema);
  });

  it('validates', () => {
    const ok = validate(loadManifest());
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects a slash command without a leading slash', () => {
    const m = loadManifest() as { features: { slash_commands: { command: string }[] } };
    m.features.slash_commands[0]!.command = 'fix';
    expect(validate(m)).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === '/features/slash_commands/0/command')).toBe(true);
  });

  it('rejects a shortcut of type msg', () => {
    const m = loadManifest() as { features: { shortcuts: { type: string }[] } };
    m.features.shortcuts[0]!.type = 'msg';
    expect(validate(m)).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === '/features/shortcuts/0/type')).toBe(true);
  });

  it('rejects a shortcut name longer than Slack allows', () => {
    const m = loadManifest() as { features: { shortcuts: { name: string }[] } };
    m.features.shortcuts[0]!.name = 'Log this message as a temporary fix';
    expect(validate(m)).toBe(false);
  });
});

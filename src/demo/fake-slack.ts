/**
 * A fake Slack Web API on loopback. Point Bolt's WebClient at it with
 * `clientOptions: { slackApiUrl: fake.apiUrl }` (or SLACK_API_URL) and assert on what was sent.
 *
 * Every request is recorded, including the ones the fake was told to fail, so a test can see retries.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RecordedCall = {
  /** Web API method (`chat.postMessage`), or `response_url` for POSTs to {@link FakeSlack.responseUrl}. */
  method: string;
  /** Request path, e.g. `/api/chat.postMessage` or `/response/abc`. */
  path: string;
  /**
   * Every field of the body. Form fields as sent; JSON bodies are flattened the way a form would carry
   * them (strings as is, other values JSON-encoded), so `fields.text` reads the same either way.
   */
  fields: Record<string, string>;
  /** The raw decoded JSON body, when the request was JSON. */
  json?: unknown;
  /** `blocks`, JSON-decoded, when present. */
  blocks?: unknown;
  /** `view`, JSON-decoded, when present. */
  view?: unknown;
  /** From `Authorization: Bearer …`, else from the `token` field. */
  token?: string;
  /** HTTP status the fake answered with. */
  status: number;
  /** Whether the fake answered `ok: true`. */
  ok: boolean;
  /** `Date.now()` when the request arrived. */
  at: number;
};

/** How to fail a call: `status` answers that HTTP status, `retryAfter` answers 429, `error` answers `ok:false`. */
export type Failure = { error?: string; status?: number; retryAfter?: number };

export type FakeUser = { name?: string; realName?: string; tz?: string; tzOffset?: number; isBot?: boolean; email?: string };

/**
 * How `conversations.info` describes a channel: by default a public channel the bot is a member of.
 * `error` makes it answer `ok: false` with that error instead (`channel_not_found` is what Slack says
 * about a private channel the bot is not in).
 */
export type FakeChannel = { member?: boolean; private?: boolean; archived?: boolean; error?: string };

/** The bot scopes of an app installed from manifest.yml: what the fake's token is granted unless a test says otherwise. */
export const FAKE_BOT_SCOPES: readonly string[] = ['commands', 'chat:write', 'chat:write.public', 'im:write', 'users:read', 'users:read.email', 'channels:read', 'groups:read'];

/** Builds the JSON answer for a method; replaces the default one. */
export type Responder = (call: RecordedCall) => Record<string, unknown>;

export type FakeSlack = {
  /** Base URL, e.g. `http://127.0.0.1:1234`. */
  url: string;
  /** `url + '/api/'`, what WebClient's `slackApiUrl` expects. */
  apiUrl: string;
  /** All calls so far, oldest first (a live array). */
  calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /** Resolves with the first call (already recorded or still to come) that matches; rejects after `timeoutMs`. */
  waitForCall(method: string, predicate?: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** Fails the next call to `method` (use `response_url` for response URLs); queued failures apply in order. */
  failNext(method: string, failure: Failure): void;
  /** Fails every call to `method` until {@link FakeSlack.reset}. */
  failAlways(method: string, failure: Failure): void;
  /**
   * Holds the next call to `method` unanswered (a slow Slack): `arrived` resolves with its fields when it
   * comes in, and it is answered as usual once `release` is called.
   */
  holdNext(method: string): { arrived: Promise<Record<string, string>>; release(): void };
  /** Replaces the default answer for `method` until {@link FakeSlack.reset}. */
  respondWith(method: string, responder: Responder): void;
  /** A URL on this server whose POSTs are recorded as method `response_url`. */
  responseUrl(id?: string): string;
  /** Forgets calls, failures and custom responders; keeps channels, users and granted scopes. */
  reset(): void;
  /** Name (and membership, privacy, or an error) returned by `conversations.info` for `id`. */
  setChannel(id: string, name: string, info?: FakeChannel): void;
  /**
   * The scopes the token is granted, sent as Slack does in every Web API answer's `x-oauth-scopes`
   * header (default {@link FAKE_BOT_SCOPES}); `undefined` sends no header. `conversations.info` answers
   * `missing_scope` without `channels:read` (public) or `groups:read` (private), as Slack does.
   */
  setScopes(scopes: readonly string[] | undefined): void;
  setUser(id: string, user: FakeUser): void;
  /** Calls `listener` with every call as it is recorded (the demo's console renders them); returns an unsubscribe. */
  onCall(listener: (call: RecordedCall) => void): () => void;
  close(): Promise<void>;
};

export const FAKE_BOT_USER_ID = 'UBOT';
export const FAKE_BOT_ID = 'BBOT';
export const FAKE_TEAM_ID = 'T0FAKE';

type Waiter = {
  method: string;
  predicate: (call: RecordedCall) => boolean;
  resolve: (call: RecordedCall) => void;
};

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: RecordedCall[] = [];
  const once = new Map<string, Failure[]>();
  const always = new Map<string, Failure>();
  const responders = new Map<string, Responder>();
  const holds = new Map<string, { arrive(fields: Record<string, string>): void; released: Promise<void> }[]>();
  const channels = new Map<string, string>();
  const channelInfo = new Map<string, FakeChannel>();
  let scopes: readonly string[] | undefined = FAKE_BOT_SCOPES;
  const users = new Map<string, FakeUser>();
  let waiters: Waiter[] = [];
  const listeners = new Set<(call: RecordedCall) => void>();
  let counter = 0;
  let url = '';

  function nextId(): number {
    counter += 1;
    return counter;
  }

  function nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(nextId()).padStart(6, '0')}`;
  }

  function record(call: RecordedCall): void {
    calls.push(call);
    const matched = waiters.filter((w) => w.method === call.method && w.predicate(call));
    waiters = waiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(call);
    for (const l of listeners) l(call);
  }

  function takeFailure(method: string): Failure | undefined {
    const queued = once.get(method);
    if (queued && queued.length > 0) return queued.shift();
    return always.get(method);
  }

  function viewResult(call: RecordedCall, type: string): Record<string, unknown> {
    const view = isRecord(call.view) ? call.view : {};
    const id = call.fields.view_id ?? `V${nextId()}`;
    return {
      ok: true,
      view: {
        type,
        ...view,
        id,
        team_id: FAKE_TEAM_ID,
        app_id: 'AFAKE',
        bot_id: FAKE_BOT_ID,
        hash: `${Math.floor(Date.now() / 1000)}.${id}`,
        private_metadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
        callback_id: typeof view.callback_id === 'string' ? view.callback_id : '',
        external_id: call.fields.external_id ?? '',
        root_view_id: id,
        previous_view_id: null,
        state: { values: {} },
      },
    };
  }

  function defaultAnswer(call: RecordedCall): Record<string, unknown> {
    const f = call.fields;
    switch (call.method) {
      case 'bots.info':
        return { ok: true, bot: { id: f.bot ?? FAKE_BOT_ID, app_id: 'A0STOPGAP', user_id: FAKE_BOT_USER_ID, name: 'stopgap' } };
      case 'auth.test':
        return {
          ok: true,
          url: 'https://stopgap-test.slack.com/',
          team: 'Stopgap Test',
          user: 'stopgap',
          team_id: FAKE_TEAM_ID,
          user_id: FAKE_BOT_USER_ID,
          bot_id: FAKE_BOT_ID,
          is_enterprise_install: false,
        };
      case 'chat.postMessage': {
        const ts = nextTs();
        return {
          ok: true,
          channel: f.channel,
          ts,
          message: { type: 'message', user: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID, text: f.text, blocks: call.blocks, ts },
        };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'chat.update':
        return { ok: true, channel: f.channel, ts: f.ts, text: f.text };
      case 'chat.delete':
        return { ok: true, channel: f.channel, ts: f.ts };
      case 'chat.getPermalink': {
        const ts = (f.message_ts ?? '').replace('.', '');
        return { ok: true, channel: f.channel, permalink: `https://stopgap-test.slack.com/archives/${f.channel}/p${ts}` };
      }
      case 'views.open':
      case 'views.push':
        return viewResult(call, 'modal');
      case 'views.update':
        return viewResult(call, 'modal');
      case 'views.publish':
        return viewResult(call, 'home');
      case 'conversations.info': {
        const id = f.channel ?? '';
        const name = channels.get(id) ?? `channel-${id.toLowerCase()}`;
        const info = channelInfo.get(id) ?? {};
        if (info.error !== undefined) return { ok: false, error: info.error };
        const isPrivate = info.private ?? id.startsWith('G');
        const needed = isPrivate ? 'groups:read' : 'channels:read';
        if (scopes !== undefined && !scopes.includes(needed)) return { ok: false, error: 'missing_scope', needed, provided: scopes.join(',') };
        return {
          ok: true,
          channel: {
            id,
            name,
            is_channel: id.startsWith('C'),
            is_group: id.startsWith('G'),
            is_im: id.startsWith('D'),
            is_private: isPrivate,
            is_archived: info.archived ?? false,
            is_member: info.member ?? true,
          },
        };
      }
      case 'conversations.open': {
        const user = (f.users ?? '').split(',')[0] ?? '';
        return { ok: true, channel: { id: f.channel ?? `D${user}` } };
      }
      case 'users.info': {
        const id = f.user ?? '';
        const u = users.get(id) ?? {};
        const name = u.name ?? id.toLowerCase();
        const realName = u.realName ?? name;
        return {
          ok: true,
          user: {
            id,
            team_id: FAKE_TEAM_ID,
            name,
            real_name: realName,
            tz: u.tz ?? 'UTC',
            tz_offset: u.tzOffset ?? 0,
            is_bot: u.isBot ?? false,
            deleted: false,
            profile: { display_name: name, real_name: realName },
          },
        };
      }
      case 'users.lookupByEmail': {
        const email = (f.email ?? '').toLowerCase();
        const found = [...users].find(([, u]) => u.email?.toLowerCase() === email);
        return found ? { ok: true, user: { id: found[0], team_id: FAKE_TEAM_ID, name: found[1].name ?? found[0].toLowerCase(), profile: { email: found[1].email } } } : { ok: false, error: 'users_not_found' };
      }
      default:
        // Lenient on purpose: tests assert on the recorded calls, not on this answer.
        return { ok: true };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let method: string;
    if (path.startsWith('/api/')) method = decodeURIComponent(path.slice('/api/'.length));
    else if (path.startsWith('/response/')) method = 'response_url';
    else {
      send(res, 404, 'text/plain', 'not found');
      return;
    }

    const { fields, json } = decodeBody(raw, req.headers['content-type']);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : fields.token;
    const call: RecordedCall = { method, path, fields, status: 200, ok: true, at: Date.now() };
    if (json !== undefined) call.json = json;
    const blocks = decodeJsonField(json, fields, 'blocks');
    if (blocks !== undefined) call.blocks = blocks;
    const view = decodeJsonField(json, fields, 'view');
    if (view !== undefined) call.view = view;
    if (token !== undefined) call.token = token;

    const hold = holds.get(method)?.shift();
    if (hold) {
      hold.arrive(fields);
      await hold.released;
    }
    const failure = takeFailure(method);
    if (failure?.status !== undefined) {
      call.status = failure.status;
      call.ok = false;
      record(call);
      send(res, failure.status, 'text/plain', `fake failure ${failure.status}`);
      return;
    }
    if (failure?.retryAfter !== undefined) {
      call.status = 429;
      call.ok = false;
      record(call);
      res.setHeader('Retry-After', String(failure.retryAfter));
      send(res, 429, 'application/json', JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    // Slack names the token's scopes in every Web API answer (WebClient reads them into response_metadata.scopes).
    const scopeHeader: Record<string, string> = method !== 'response_url' && scopes !== undefined ? { 'x-oauth-scopes': scopes.join(',') } : {};
    if (failure?.error !== undefined) {
      call.ok = false;
      record(call);
      send(res, 200, 'application/json', JSON.stringify({ ok: false, error: failure.error }), scopeHeader);
      return;
    }

    const responder = responders.get(method);
    const answer = responder ? responder(call) : defaultAnswer(call);
    call.ok = answer.ok !== false;
    record(call);
    send(res, 200, 'application/json', JSON.stringify(answer), scopeHeader);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `fake-slack crashed: ${String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;

  return {
    url,
    apiUrl: `${url}/api/`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitForCall(method, predicate = () => true, timeoutMs = 3000) {
      const seen = calls.find((c) => c.method === method && predicate(c));
      if (seen) return Promise.resolve(seen);
      return new Promise<RecordedCall>((resolve, reject) => {
        const waiter: Waiter = {
          method,
          predicate,
          resolve: (call) => {
            clearTimeout(timer);
            resolve(call);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          const methods = calls.map((c) => c.method).join(', ') || 'none';
          reject(new Error(`fake-slack: no matching ${method} call within ${timeoutMs} ms (calls so far: ${methods})`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    failNext(method, failure) {
      const queued = once.get(method) ?? [];
      queued.push(failure);
      once.set(method, queued);
    },
    holdNext(method) {
      let arrive!: (fields: Record<string, string>) => void;
      let release!: () => void;
      const arrived = new Promise<Record<string, string>>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.set(method, [...(holds.get(method) ?? []), { arrive, released }]);
      return { arrived, release };
    },
    failAlways(method, failure) {
      always.set(method, failure);
    },
    respondWith(method, responder) {
      responders.set(method, responder);
    },
    responseUrl(id) {
      return `${url}/response/${encodeURIComponent(id ?? `r${nextId()}`)}`;
    },
    reset() {
      calls.length = 0;
      once.clear();
      always.clear();
      responders.clear();
    },
    setChannel(id, name, info) {
      channels.set(id, name);
      if (info) channelInfo.set(id, info);
      else channelInfo.delete(id);
    },
    setScopes(granted) {
      scopes = granted === undefined ? undefined : [...granted];
    },
    setUser(id, user) {
      users.set(id, user);
    },
    onCall(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Clients such as undici keep connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      });
    },
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Type': contentType });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function decodeBody(raw: string, contentType: string | undefined): { fields: Record<string, string>; json?: unknown } {
  if (contentType?.includes('application/json')) {
    let json: unknown;
    try {
      json = raw === '' ? {} : JSON.parse(raw);
    } catch {
      return { fields: { _raw: raw } };
    }
    const fields: Record<string, string> = {};
    if (isRecord(json)) {
      for (const [key, value] of Object.entries(json)) {
        if (value === undefined || value === null) continue;
        fields[key] = typeof value === 'string' ? value : JSON.stringify(value);
      }
    }
    return { fields, json };
  }
  return { fields: Object.fromEntries(new URLSearchParams(raw)) };
}

function decodeJsonField(json: unknown, fields: Record<string, string>, name: string): unknown {
  if (isRecord(json) && json[name] !== undefined && typeof json[name] !== 'string') return json[name];
  const text = fields[name];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

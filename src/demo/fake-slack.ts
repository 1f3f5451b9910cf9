/**
 * A fake Slack Web API on loopback. Point Bolt's WebClient at it with
 * `clientOptions: { slackApiUrl: fake.apiUrl }` (or SLACK_API_URL) and assert on what was sent.
 *
 * Every request is recorded, including the ones the fake was told to fail, so a test can see retries.
 * File uploads go as Slack's do (`files.getUploadURLExternal`, a POST of the bytes to the upload URL it
 * hands out, here on the fake's own server, then `files.completeUploadExternal`); each file shared is
 * kept with its content in {@link FakeSlack.files}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RecordedCall = {
  /**
   * Web API method (`chat.postMessage`), `response_url` for POSTs to {@link FakeSlack.responseUrl}, or
   * `file_upload` for a file's bytes POSTed to an upload URL `files.getUploadURLExternal` handed out.
   */
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
  /** For `files.completeUploadExternal`: the files it shared, with their content. */
  shared?: SharedFile[];
};

/**
 * How to fail a call: `status` answers that HTTP status, `retryAfter` answers 429, `error` answers `ok:false`
 * (for `file_upload`, which is no Web API method, an HTTP 500 with that text).
 */
export type Failure = { error?: string; status?: number; retryAfter?: number };

export type FakeUser = { name?: string; realName?: string; tz?: string; tzOffset?: number; isBot?: boolean; email?: string };

/**
 * How `conversations.info` describes a channel: by default a public channel the bot is a member of.
 * `error` makes it answer `ok: false` with that error instead (`channel_not_found` is what Slack says
 * about a private channel the bot is not in).
 */
export type FakeChannel = { member?: boolean; private?: boolean; archived?: boolean; error?: string };

/** The bot scopes of an app installed from manifest.yml: what the fake's token is granted unless a test says otherwise. */
export const FAKE_BOT_SCOPES: readonly string[] = ['commands', 'chat:write', 'chat:write.public', 'im:write', 'users:read', 'users:read.email', 'channels:read', 'groups:read', 'files:write'];

/** A file shared by `files.completeUploadExternal`: what a person in `channel` would see. */
export type SharedFile = {
  id: string;
  filename: string;
  title: string;
  /** The bytes uploaded, as UTF-8 text. */
  content: string;
  /** `snippet_type` asked for in `files.getUploadURLExternal`, if any. */
  snippetType?: string;
  /** `channel_id`; undefined when the file was completed without one (private to the uploader). */
  channel?: string;
  /** The message posted with the file. */
  initialComment?: string;
  threadTs?: string;
  /** `Date.now()` when it was shared. */
  at: number;
};

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
  /** Files shared so far, oldest first (a live array). */
  files: SharedFile[];
  /** Resolves with the first shared file (already shared or still to come) that matches; rejects after `timeoutMs`. */
  waitForFile(predicate?: (file: SharedFile) => boolean, timeoutMs?: number): Promise<SharedFile>;
  /** Forgets calls, files, failures and custom responders; keeps channels, users and granted scopes. */
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
  /** Files between `getUploadURLExternal` and `completeUploadExternal`; `content` once the bytes came. */
  const pending = new Map<string, { filename: string; snippetType?: string; content?: string }>();
  const files: SharedFile[] = [];
  let fileWaiters: { predicate: (file: SharedFile) => boolean; resolve: (file: SharedFile) => void }[] = [];
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

  function share(file: SharedFile): void {
    files.push(file);
    const matched = fileWaiters.filter((w) => w.predicate(file));
    fileWaiters = fileWaiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(file);
  }

  /** `files.getUploadURLExternal`: a file ID and an upload URL on this server. */
  function uploadUrl(f: Record<string, string>): Record<string, unknown> {
    if (scopes !== undefined && !scopes.includes('files:write')) return { ok: false, error: 'missing_scope', needed: 'files:write', provided: scopes.join(',') };
    const length = Number(f.length);
    if (!f.filename || !Number.isInteger(length) || length < 1) return { ok: false, error: 'invalid_arguments' };
    const id = `F${String(nextId()).padStart(9, '0')}`;
    pending.set(id, { filename: f.filename, ...(f.snippet_type ? { snippetType: f.snippet_type } : {}) });
    return { ok: true, upload_url: `${url}/upload/${id}`, file_id: id };
  }

  /** `files.completeUploadExternal`: every file must have been uploaded; each is shared in `channel_id`. */
  function completeUpload(f: Record<string, string>): Record<string, unknown> {
    let listed: unknown;
    try {
      listed = JSON.parse(f.files ?? '');
    } catch {
      return { ok: false, error: 'invalid_arguments' };
    }
    if (!Array.isArray(listed) || listed.length === 0) return { ok: false, error: 'invalid_arguments' };
    // Slack takes conversation IDs only: a user ID is refused (a DM needs conversations.open first).
    if (f.channel_id !== undefined && !/^[CGDZ][A-Z0-9]{8,}$/.test(f.channel_id)) return { ok: false, error: 'invalid_arguments' };
    const done: SharedFile[] = [];
    for (const item of listed) {
      const id = isRecord(item) && typeof item.id === 'string' ? item.id : '';
      const upload = pending.get(id);
      if (!upload || upload.content === undefined) return { ok: false, error: 'file_not_found' };
      const title = isRecord(item) && typeof item.title === 'string' ? item.title : upload.filename;
      done.push({
        id,
        filename: upload.filename,
        title,
        content: upload.content,
        ...(upload.snippetType ? { snippetType: upload.snippetType } : {}),
        ...(f.channel_id ? { channel: f.channel_id } : {}),
        ...(f.initial_comment !== undefined ? { initialComment: f.initial_comment } : {}),
        ...(f.thread_ts ? { threadTs: f.thread_ts } : {}),
        at: Date.now(),
      });
    }
    for (const file of done) {
      pending.delete(file.id);
      share(file);
    }
    return {
      ok: true,
      files: done.map((file) => ({ id: file.id, name: file.filename, title: file.title, mimetype: 'text/plain', permalink: `https://stopgap-test.slack.com/files/${FAKE_BOT_USER_ID}/${file.id}/${file.filename}` })),
    };
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
      case 'files.getUploadURLExternal':
        return uploadUrl(f);
      case 'files.completeUploadExternal':
        return completeUpload(f);
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
    const bytes = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let method: string;
    if (path.startsWith('/api/')) method = decodeURIComponent(path.slice('/api/'.length));
    else if (path.startsWith('/response/')) method = 'response_url';
    else if (path.startsWith('/upload/')) method = 'file_upload';
    else {
      send(res, 404, 'text/plain', 'not found');
      return;
    }

    if (method === 'file_upload') {
      await receiveUpload(req, res, path, bytes);
      return;
    }
    const { fields, json } = decodeBody(bytes.toString('utf8'), req.headers['content-type']);
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
    const sharedBefore = files.length;
    const answer = responder ? responder(call) : defaultAnswer(call);
    call.ok = answer.ok !== false;
    if (files.length > sharedBefore) call.shared = files.slice(sharedBefore);
    record(call);
    send(res, 200, 'application/json', JSON.stringify(answer), scopeHeader);
  }

  /**
   * The bytes of a file, POSTed to its upload URL: raw, or as the one file part of a multipart form (as
   * the Web API client sends them). Slack answers 200 `OK - <length>`; an unknown URL is a 404.
   */
  async function receiveUpload(req: IncomingMessage, res: ServerResponse, path: string, bytes: Buffer): Promise<void> {
    const id = decodeURIComponent(path.slice('/upload/'.length));
    const content = await uploadedText(bytes, req.headers['content-type']);
    const call: RecordedCall = { method: 'file_upload', path, fields: { file_id: id, content }, status: 200, ok: true, at: Date.now() };
    const hold = holds.get('file_upload')?.shift();
    if (hold) {
      hold.arrive(call.fields);
      await hold.released;
    }
    const failure = takeFailure('file_upload');
    const upload = pending.get(id);
    if (failure !== undefined || !upload) {
      call.status = failure?.retryAfter !== undefined ? 429 : (failure?.status ?? (upload ? 500 : 404));
      call.ok = false;
      record(call);
      const headers: Record<string, string> = failure?.retryAfter !== undefined ? { 'Retry-After': String(failure.retryAfter) } : {};
      send(res, call.status, 'text/plain', failure?.error ?? (upload ? 'fake failure' : 'not found'), headers);
      return;
    }
    upload.content = content;
    record(call);
    send(res, 200, 'text/plain', `OK - ${Buffer.byteLength(content)}`);
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
    files,
    waitForFile(predicate = () => true, timeoutMs = 3000) {
      const seen = files.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise<SharedFile>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (file: SharedFile) => {
            clearTimeout(timer);
            resolve(file);
          },
        };
        const timer = setTimeout(() => {
          fileWaiters = fileWaiters.filter((w) => w !== waiter);
          reject(new Error(`fake-slack: no matching file shared within ${timeoutMs} ms (files so far: ${files.map((f) => f.filename).join(', ') || 'none'})`));
        }, timeoutMs);
        fileWaiters.push(waiter);
      });
    },
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
      files.length = 0;
      pending.clear();
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

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** An uploaded file's text: the first file part of a multipart form, else the body itself. */
async function uploadedText(bytes: Buffer, contentType: string | undefined): Promise<string> {
  if (contentType?.startsWith('multipart/form-data')) {
    // The platform's own multipart parser, through a Request built around the bytes received.
    const form = await new Request('http://fake.invalid/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(bytes) }).formData();
    for (const [, value] of form) if (typeof value !== 'string') return value.text();
    const first = [...form.values()][0];
    return typeof first === 'string' ? first : '';
  }
  return bytes.toString('utf8');
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

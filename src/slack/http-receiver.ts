import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { App, CustomRoute, Receiver, ReceiverEvent } from '@slack/bolt';
import { isRecord } from '../json.js';
import type { Logger } from '../log.js';
import { slackBodyProblem } from './supervise.js';
import { closeServer, listen, requestPath, serveRoute } from '../http/server.js';

/** Slack rejects requests whose timestamp is further than this from its clock; so do we, both ways. */
const MAX_CLOCK_SKEW_SECONDS = 300;
/** Slack's own payloads stay far below this; anything larger is refused before it is buffered. */
const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** A client that trickles its body is cut off rather than holding a socket open forever. */
const BODY_READ_TIMEOUT_MS = 10_000;
/** Bodies being read at once, all requests together: past this, new ones get 503 instead of memory. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export interface SlackHttpReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** Health, readiness and metrics routes served beside `/slack/events`. */
  routes?: CustomRoute[];
  bodyLimitBytes?: number;
  /** Wall clock for the signature's timestamp check (tests move it). */
  nowMs?: () => number;
  /** Called when a request is turned away before it reaches the app (for the refusal counter). */
  onRejected?: (reason: 'too_large' | 'bad_signature' | 'stale' | 'malformed' | 'timeout') => void;
}

/** What the receiver hands the app beside the body: when the request arrived, so acks are timed from there. */
interface ArrivalProperties extends Record<string, unknown> {
  arrivedAt: bigint;
  /** The body already passed `slackBodyProblem`: the supervisor need not check it again. */
  shapeChecked: true;
}

class RequestRejected extends Error {
  constructor(
    readonly status: number,
    readonly reason: 'too_large' | 'bad_signature' | 'stale' | 'malformed' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Slack's HTTP endpoint, in place of Bolt's HTTPReceiver: the body is size-limited, the signature and
 * timestamp (past or future) are checked, and the body must parse to a JSON object before the app sees
 * it. Bolt's receiver let a signed `payload=null` throw inside an unawaited promise and take the process
 * down; here every failure is an HTTP status, never an exception.
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;
  private readonly opts: SlackHttpReceiverOptions;
  private readonly limit: number;
  private readonly nowMs: () => number;
  private buffered = 0;

  constructor(opts: SlackHttpReceiverOptions) {
    this.opts = opts;
    this.limit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  start(port: number): Promise<Server> {
    if (this.server) return Promise.reject(new Error('the Slack receiver is already started'));
    const server = createServer((req, res) => this.route(req, res));
    server.requestTimeout = 30_000;
    server.headersTimeout = 15_000;
    this.server = server;
    return listen(server, port);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }


  private route(req: IncomingMessage, res: ServerResponse): void {
    const arrivedAt = process.hrtime.bigint();
    const path = requestPath(req);
    if (path === undefined) {
      reply(res, 400, undefined, { connection: 'close' });
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    if (path === '/slack/events') {
      if (method !== 'POST') {
        reply(res, 405, undefined, { allow: 'POST' });
        return;
      }
      this.handleSlack(req, res, arrivedAt).catch((err: unknown) => {
        this.opts.logger.error({ err }, 'Slack request failed');
        reply(res, 500);
      });
      return;
    }
    if (!serveRoute(this.opts.routes ?? [], path, req, res, this.opts.logger)) reply(res, 404);
  }

  private async handleSlack(req: IncomingMessage, res: ServerResponse, arrivedAt: bigint): Promise<void> {
    let body: Record<string, unknown>;
    let reserved = 0;
    try {
      // What can be refused without the body is refused before reading it: no memory for strangers.
      checkSignatureHeaders(req, this.nowMs());
      const declared = Number(req.headers['content-length']);
      reserved = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, this.limit) : this.limit;
      if (this.buffered + reserved > MAX_BUFFERED_BYTES) throw new RequestRejected(503, 'too_large', 'too many request bodies are being read at once');
      this.buffered += reserved;
      const raw = await readBody(req, this.limit);
      verifySignature(this.opts.signingSecret, req, raw, this.nowMs());
      body = parseSlackBody(req.headers['content-type'], raw);
      const problem = body.ssl_check === '1' || body.type === 'url_verification' ? undefined : slackBodyProblem(body);
      if (problem) throw new RequestRejected(400, 'malformed', problem);
    } catch (err) {
      if (!(err instanceof RequestRejected)) throw err;
      this.opts.logger.warn({ status: err.status, reason: err.reason, detail: err.message }, 'Slack request refused');
      this.opts.onRejected?.(err.reason);
      const unread = !req.complete;
      reply(res, err.status, err.status === 400 ? { error: err.message } : undefined, unread ? { connection: 'close' } : {});
      // A body we will not read is not waited for: the connection closes once the answer is out.
      if (unread) res.once('finish', () => req.destroy());
      return;
    } finally {
      this.buffered -= reserved;
    }
    if (body.ssl_check === '1') {
      reply(res, 200);
      return;
    }
    if (body.type === 'url_verification') {
      reply(res, 200, { challenge: typeof body.challenge === 'string' ? body.challenge : '' });
      return;
    }
    const app = this.app;
    if (!app) {
      reply(res, 503);
      return;
    }
    let responded = false;
    const event: ReceiverEvent = {
      body,
      ack: async (response?: unknown) => {
        if (responded) return;
        responded = true;
        reply(res, 200, response === undefined || response === '' ? undefined : response);
      },
      retryNum: numberHeader(req, 'x-slack-retry-num'),
      retryReason: stringHeader(req, 'x-slack-retry-reason'),
      customProperties: { arrivedAt, shapeChecked: true } satisfies ArrivalProperties,
    };
    try {
      await app.processEvent(event);
    } finally {
      // The app supervises acks; this is only the last line of defence against a request left hanging.
      if (!responded) {
        responded = true;
        reply(res, 200);
      }
    }
  }
}

function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new RequestRejected(413, 'too_large', `body of ${declared} bytes is over the ${limit}-byte limit`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      cleanup();
      reject(new RequestRejected(408, 'timeout', 'the body did not arrive in time'));
    }, BODY_READ_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(new RequestRejected(413, 'too_large', `body is over the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new RequestRejected(400, 'malformed', `the body could not be read: ${err.message}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function stringHeader(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function numberHeader(req: IncomingMessage, name: string): number | undefined {
  const v = Number(stringHeader(req, name));
  return Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** The signature headers' shape and the timestamp's age, checked before the body is read. */
function checkSignatureHeaders(req: IncomingMessage, nowMs: number): { signature: string; tsText: string } {
  const signature = stringHeader(req, 'x-slack-signature');
  const tsText = stringHeader(req, 'x-slack-request-timestamp');
  if (!signature || !tsText) throw new RequestRejected(401, 'bad_signature', 'missing x-slack-signature or x-slack-request-timestamp');
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) throw new RequestRejected(401, 'bad_signature', 'x-slack-signature is not a v0 signature');
  if (!/^\d{1,12}$/.test(tsText)) throw new RequestRejected(401, 'bad_signature', 'x-slack-request-timestamp is not a number of seconds');
  if (Math.abs(Math.floor(nowMs / 1000) - Number(tsText)) > MAX_CLOCK_SKEW_SECONDS) {
    throw new RequestRejected(401, 'stale', 'x-slack-request-timestamp is more than five minutes from our clock (a replay, or a clock out of sync)');
  }
  return { signature, tsText };
}

/** Slack's v0 signature over `v0:{timestamp}:{body}`, and a timestamp within five minutes either way. */
function verifySignature(secret: string, req: IncomingMessage, raw: Buffer, nowMs: number): void {
  const { signature, tsText } = checkSignatureHeaders(req, nowMs);
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${tsText}:`).update(raw).digest('hex')}`,
    'utf8',
  );
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new RequestRejected(401, 'bad_signature', 'the signature does not match the signing secret');
  }
}

function jsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RequestRejected(400, 'malformed', `${what} is not JSON`);
  }
  if (!isRecord(parsed)) throw new RequestRejected(400, 'malformed', `${what} is not a JSON object`);
  return parsed;
}

/** Form bodies (commands; interactivity as `payload=<JSON>`) and JSON bodies (events); always an object. */
function parseSlackBody(contentType: string | undefined, raw: Buffer): Record<string, unknown> {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  const text = raw.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    const params = new URLSearchParams(text);
    const payload = params.get('payload');
    if (payload !== null) return jsonObject(payload, 'payload');
    const fields: Record<string, string> = {};
    for (const [k, v] of params) fields[k] = v;
    return fields;
  }
  if (type === 'application/json') return jsonObject(text, 'the body');
  throw new RequestRejected(400, 'malformed', `unsupported content type ${JSON.stringify(type ?? '')}`);
}

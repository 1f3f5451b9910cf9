import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_REDACT_INPUT, MIN_KNOWN_SECRET_LENGTH, redactSecrets, registerKnownSecrets } from '../src/redact.js';

describe('redactSecrets', () => {
  it.each([
    ['rotated xoxb-1234-5678-abcdefABCDEF after the leak', 'xoxb-1234', 'xoxb-[redacted]'],
    ['app token xapp-1-A0123-4567-abcdef in the env', 'xapp-1-A0123', 'xapp-[redacted]'],
    ['used ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 to push', 'ghp_aBcD', 'ghp_[redacted]'],
    ['aws key AKIAIOSFODNN7EXAMPLE in cm/app-config', 'AKIAIOSFODNN7EXAMPLE', 'AKIA[redacted]'],
    ['kubectl create secret generic db --from-literal=password=hunter2 -n shop', 'hunter2', 'password=[redacted]'],
    ['set DB_PASSWORD="correct horse" on deploy/api', 'correct horse', 'DB_PASSWORD=[redacted]'],
    ['curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig" api', 'eyJhbGci', 'Bearer [redacted]'],
    ['api_key: 9f8e7d6c5b4a kept in env', '9f8e7d6c5b4a', 'api_key: [redacted]'],
    ['pointed DATABASE_URL at postgres://app:pa55w0rd@db.internal/shop', 'pa55w0rd', 'postgres://app:[redacted]@db.internal'],
    ['set DB_PASS=s3cr3t on sts/db', 's3cr3t', 'DB_PASS=[redacted]'],
    ['--from-literal=pass=letmein', 'letmein', 'pass=[redacted]'],
    ['see https://ci.example.com/run?id=7&access_token=abcdef123456', 'abcdef123456', 'access_token=[redacted]'],
    ['set DB_PASSWORD="unclosed quote on deploy/api', 'unclosed', 'DB_PASSWORD=[redacted]'],
  ])('masks %s', (input, secret, expected) => {
    const out = redactSecrets(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(expected);
  });

  it('leaves ordinary incident text alone', () => {
    const text = 'scaled deploy/payments-api -n shop to 12 replicas for INC-4821; bumped memory to 4Gi on sts/db-0';
    expect(redactSecrets(text)).toBe(text);
    expect(redactSecrets('rotated the secret/db-creds Secret (kubectl edit)')).toBe('rotated the secret/db-creds Secret (kubectl edit)');
    expect(redactSecrets('compass=north; replicas=3 image=api:1.4.2 https://github.com/acme/infra/pull/881')).toBe(
      'compass=north; replicas=3 image=api:1.4.2 https://github.com/acme/infra/pull/881',
    );
  });

  it('is idempotent and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const once = redactSecrets(s);
        expect(redactSecrets(once)).toBe(once);
      }),
    );
  });
});

/** Generous: linear scanning takes milliseconds; the quadratic patterns this guards against took a minute. */
const LINEAR_GUARD_MS = 5_000;

function fill(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

describe('redactSecrets on adversarial input', () => {
  const KB100 = 100 * 1024;

  it(
    'scans text up to the limit in one pass, masking what it should and leaving the rest alone',
    () => {
      const n = MAX_REDACT_INPUT;
      // These used to rescan the rest of the text from every position (or recurse once per pair).
      for (const text of [fill('a=', n), fill('a.', n), fill('a-', n), fill('a://b:', n), fill('x', n), fill('a= ', n)]) {
        expect(redactSecrets(text)).toBe(text);
      }
      expect(redactSecrets(`-----BEGIN PRIVATE KEY-----${fill('x', n - 27)}`)).toBe('[redacted private key]');
      const pairs = fill('password=hunter2 ', n - 17);
      const masked = redactSecrets(pairs);
      expect(masked).not.toContain('hunter2');
      expect(masked.split('password=[redacted]').length - 1).toBe(pairs.split('password=').length - 1);
      expect(redactSecrets(fill('password="', n))).not.toMatch(/="/);
    },
    LINEAR_GUARD_MS,
  );

  it(
    'cuts 100 KB at the scan limit, at a word boundary, and says how much it left out',
    () => {
      const text = `${fill('scaled deploy/api ', KB100 - 40)} password=hunter2`;
      const out = redactSecrets(text);
      expect(out.length).toBeLessThanOrEqual(MAX_REDACT_INPUT);
      expect(out).toMatch(/ \[… \d+ more characters not shown\]$/);
      expect(out.startsWith('scaled deploy/api scaled')).toBe(true);
      expect(out).not.toContain('hunter2');
      expect(out).toMatch(/(?:scaled|deploy\/api) \[… \d+ more/);
      // A text longer than the limit with no whitespace is one blob (a key, base64): dropped whole.
      for (const blob of [fill('a=', KB100), fill('x', KB100)]) {
        expect(redactSecrets(blob)).toBe(`[… ${blob.length} more characters not shown]`);
      }
      const key = redactSecrets(`-----BEGIN PRIVATE KEY-----${fill('x', KB100)}`);
      expect(key).toMatch(/^-----BEGIN PRIVATE \[… \d+ more characters not shown\]$/);
      // What was cut is not cut again.
      expect(redactSecrets(out)).toBe(out);
    },
    LINEAR_GUARD_MS,
  );

  it('never shows part of a secret that straddles the cut', () => {
    const head = fill('w ', MAX_REDACT_INPUT - 70);
    const out = redactSecrets(`${head}password=hunter2-straddling-the-cut ${fill('and more text after it ', 200)}`);
    expect(out).not.toContain('hunter2');
    expect(out).toMatch(/more characters not shown\]$/);
  });

  it('never shows part of a registered secret that straddles the cut', () => {
    const secret = 'straddling-secret-0123456789abcdef';
    registerKnownSecrets([secret]);
    const head = fill('w ', MAX_REDACT_INPUT - 70);
    const out = redactSecrets(`${head}${secret} ${fill('and more text after it ', 200)}`);
    expect(out).not.toContain('straddling');
    expect(out).toMatch(/more characters not shown\]$/);
  });
});

describe('registerKnownSecrets', () => {
  const botToken = 'xoxb-known-1111-abcdefSECRET';
  const signingSecret = '8f3a9c0d1e2f3a4b5c6d7e8f9a0b1c2d';
  const appToken = 'xapp-1-A0KNOWN-2222-f00dfeedf00dfeed';
  const odd = 'pl@in/secret+with=symbols';
  registerKnownSecrets([botToken, signingSecret, appToken, odd, undefined, '']);

  it('masks each registered secret verbatim, even inside other text', () => {
    for (const secret of [botToken, signingSecret, appToken, odd]) {
      const out = redactSecrets(`pasted ${secret} and x${secret}y by mistake`);
      expect(out).not.toContain(secret);
      expect(out).toBe('pasted [redacted] and x[redacted]y by mistake');
    }
  });

  it('masks a hex secret in any case', () => {
    for (const variant of [signingSecret.toUpperCase(), '8F3a9C0d1E2f3A4b5C6d7E8f9A0b1C2d']) {
      expect(redactSecrets(`sig ${variant} here`)).toBe('sig [redacted] here');
    }
  });

  it('masks a secret URL-encoded, wholly or in part, in either hex case', () => {
    const whole = [...odd].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    for (const variant of [encodeURIComponent(odd), whole, whole.toUpperCase(), `https://x.io/?t=${encodeURIComponent(signingSecret)}`]) {
      const out = redactSecrets(`see ${variant} now`);
      expect(out).toContain('[redacted]');
      expect(out).not.toMatch(/%70%6c|symbols|8f3a9c/i);
    }
  });

  it('masks a secret with spaces or invisible characters slipped between its characters', () => {
    const spaced = [...botToken].join(' ');
    const invisible = [...appToken].join('\u200b');
    const bidi = [...signingSecret].join('\u202e');
    for (const variant of [spaced, invisible, bidi, `${botToken.slice(0, 10)}\n${botToken.slice(10)}`]) {
      expect(redactSecrets(`before ${variant} after`)).toBe('before [redacted] after');
    }
  });

  it(`ignores secrets shorter than ${MIN_KNOWN_SECRET_LENGTH} characters`, () => {
    registerKnownSecrets(['short12', '  pad  ']);
    expect(redactSecrets('short12 pad')).toBe('short12 pad');
  });

  it('keeps the other patterns, and stays idempotent', () => {
    expect(redactSecrets('rotated xoxb-1234-5678-abcdefABCDEF and DB_PASSWORD=x')).toBe('rotated xoxb-[redacted] and DB_PASSWORD=[redacted]');
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom(botToken, signingSecret, appToken, odd, ''), (s, secret) => {
        const once = redactSecrets(`${s}${secret}${s}`);
        if (secret !== '') expect(once).not.toContain(secret);
        expect(redactSecrets(once)).toBe(once);
      }),
    );
  });
});

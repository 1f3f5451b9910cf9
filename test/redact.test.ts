import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { redactSecrets } from '../src/redact.js';

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

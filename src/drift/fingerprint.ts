import { createHmac } from 'node:crypto';

/**
 * A keyed fingerprint for sensitive values (Secret data): equal values give equal fingerprints and a
 * change gives a different one, while the value itself cannot be recovered or guessed without the key.
 */
export function makeFingerprint(key: Buffer): (value: string) => string {
  return (value: string) => `hmac-sha256:${createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, 16)}`;
}

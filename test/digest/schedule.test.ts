import { describe, expect, it } from 'vitest';
import { isoWeekOf, latestOccurrence } from '../../src/digest/schedule.js';
import { loadFileConfig } from '../../src/config/config.js';
import { digestTargets } from '../../src/slack/digests.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const at = (iso: string) => new Date(iso);
const latest = (expr: string, tz: string, now: string) => latestOccurrence(expr, tz, at(now))?.toISOString();

describe('when a digest is due', () => {
  it('finds the latest scheduled moment in the digest\'s zone', () => {
    expect(latest('0 9 * * 1', 'UTC', '2026-12-07T08:59:59Z')).toBe('2026-11-30T09:00:00.000Z');
    expect(latest('0 9 * * 1', 'UTC', '2026-12-07T09:00:00Z')).toBe('2026-12-07T09:00:00.000Z');
    // Monday 09:00 in Tokyo is Monday 00:00 UTC; in New York, 14:00 UTC.
    expect(latest('0 9 * * 1', 'Asia/Tokyo', '2026-12-07T08:00:00Z')).toBe('2026-12-07T00:00:00.000Z');
    expect(latest('0 9 * * 1', 'America/New_York', '2026-12-07T13:59:00Z')).toBe('2026-11-30T14:00:00.000Z');
    expect(latest('0 9 * * 1', 'America/New_York', '2026-12-07T14:00:00Z')).toBe('2026-12-07T14:00:00.000Z');
    // Six fields (seconds first), several days, a monthly one.
    expect(latest('30 0 9 * * 1,4', 'UTC', '2026-12-04T10:00:00Z')).toBe('2026-12-03T09:00:30.000Z');
    expect(latest('0 9 1 * *', 'UTC', '2026-12-01T08:00:00Z')).toBe('2026-11-01T09:00:00.000Z');
    // Both day fields restricted: both must match, as node-cron fires (the first Monday of a month).
    expect(latest('0 9 1-7 * 1', 'UTC', '2026-12-31T00:00:00Z')).toBe('2026-12-07T09:00:00.000Z');
  });

  it('keeps to local time across daylight saving, and skips a time the clocks jump over', () => {
    // Berlin: Monday 09:00 is 07:00 UTC in summer, 08:00 UTC in winter (the change is Sunday 2026-10-25).
    expect(latest('0 9 * * 1', 'Europe/Berlin', '2026-10-20T12:00:00Z')).toBe('2026-10-19T07:00:00.000Z');
    expect(latest('0 9 * * 1', 'Europe/Berlin', '2026-10-27T12:00:00Z')).toBe('2026-10-26T08:00:00.000Z');
    // 02:30 on 2026-03-29 does not exist in Berlin: that Sunday has no 02:30 digest.
    expect(latest('30 2 * * 0', 'Europe/Berlin', '2026-03-30T12:00:00Z')).toBe('2026-03-22T01:30:00.000Z');
  });

  it('names the ISO week a digest belongs to, in the digest\'s zone', () => {
    expect(isoWeekOf(at('2026-01-01T12:00:00Z'), 'UTC')).toBe('2026-W01');
    expect(isoWeekOf(at('2026-12-28T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(isoWeekOf(at('2027-01-04T12:00:00Z'), 'UTC')).toBe('2027-W01');
    expect(isoWeekOf(at('2020-12-31T12:00:00Z'), 'UTC')).toBe('2020-W53');
    // Sunday 23:30 UTC is already Monday in Tokyo: the next week there.
    expect(isoWeekOf(at('2026-12-06T23:30:00Z'), 'UTC')).toBe('2026-W49');
    expect(isoWeekOf(at('2026-12-06T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-W50');
  });

  it('reads digest: settings, and a team\'s own, and refuses a bad cron or zone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stopgap-digest-config-'));
    try {
      const write = (text: string) => {
        writeFileSync(join(dir, 'stopgap.yml'), text);
        return loadFileConfig(join(dir, 'stopgap.yml'));
      };
      const file = write(`defaultChannel: C0DEFAULT1\ndigest: { cron: '0 8 * * 1', timeZone: Europe/Berlin }\nteams:\n  - name: payments\n    channel: C0PAYMENTS\n    match: [{ namespace: pay }]\n    digest: { timeZone: America/New_York }\n  - name: quiet\n    channel: C0QUIETTTT\n    match: [{ namespace: q }]\n    digest: { enabled: false }\n`);
      expect(digestTargets(file)).toEqual([
        { channel: 'C0PAYMENTS', team: 'payments', schedule: { cron: '0 8 * * 1', timeZone: 'America/New_York', enabled: true } },
        { channel: 'C0DEFAULT1', team: null, schedule: { cron: '0 8 * * 1', timeZone: 'Europe/Berlin', enabled: true } },
      ]);
      expect(() => write("digest: { cron: 'every monday' }\n")).toThrow(/digest\.cron.*not a cron expression/s);
      expect(() => write('digest: { timeZone: Mars/Base }\n')).toThrow(/digest\.timeZone.*IANA/s);
      expect(() => write("digest: { cron: '0 9 L * *' }\n")).toThrow(/L or #/);
      expect(() => write("digest: { cron: '0 9 * * 1#1' }\n")).toThrow(/L or #/);
      expect(write("digest: { cron: '0 9 * * MON' }\n").digest.cron).toBe('0 9 * * MON');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

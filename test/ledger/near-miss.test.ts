import { describe, expect, it } from 'vitest';
import { logged, parse } from '../support/fix-parse.js';

describe('near misses: a verb and a change ID', () => {
  const codifiedExample = '/fix codified SG-12 https://github.com/acme/infra/pull/881';

  it('refuses close/resolve/done/fixed SG-12, pointing at reverted and codified', () => {
    expect(parse('close SG-12')).toEqual({
      type: 'error',
      message:
        '`close` is not a /fix subcommand. Did you mean `/fix reverted SG-12` or `/fix codified SG-12 <PR>`? ' +
        'To log text that starts like this, use `/fix log close SG-12 …`',
      example: codifiedExample,
    });
    for (const verb of ['closed', 'done', 'resolve', 'resolved', 'fixed', 'Close', 'DONE:']) {
      expect(parse(`${verb} SG-12 finally`)).toMatchObject({
        type: 'error',
        message: expect.stringContaining('Did you mean `/fix reverted SG-12` or `/fix codified SG-12 <PR>`?'),
        example: codifiedExample,
      });
    }
  });

  it('accepts the usual ID spellings', () => {
    expect(parse('close sg-12')).toMatchObject({ type: 'error', example: codifiedExample });
    expect(parse('close #12')).toMatchObject({
      type: 'error',
      message: expect.stringContaining('use `/fix log close #12 …`'),
      example: codifiedExample,
    });
    expect(parse('close `SG-12`,')).toMatchObject({ type: 'error', example: codifiedExample });
  });

  it('suggests the subcommand each verb most likely meant', () => {
    expect(parse('revert SG-12')).toEqual({
      type: 'error',
      message:
        '`revert` is not a /fix subcommand. Did you mean `/fix reverted SG-12`? ' +
        'To log text that starts like this, use `/fix log revert SG-12 …`',
      example: '/fix reverted SG-12',
    });
    expect(parse('undo SG-7')).toMatchObject({ message: expect.stringContaining('`/fix reverted SG-7`'), example: '/fix reverted SG-7' });
    // `codify` is a subcommand of its own (a patch); with a PR link it meant `codified`.
    expect(parse('codify SG-12 https://github.com/acme/infra/pull/9')).toEqual({
      type: 'error',
      message: '/fix codify SG-12 makes a patch from SG-12\'s drift. To say it is codified by a PR, use /fix codified SG-12 <PR URL>.',
      example: codifiedExample,
    });
    for (const verb of ['delete', 'remove', 'cancel']) {
      expect(parse(`${verb} SG-3`)).toMatchObject({
        type: 'error',
        message: expect.stringContaining('Did you mean `/fix dismiss SG-3 <reason>` or `/fix reverted SG-3`?'),
        example: '/fix dismiss SG-3 node pool was replaced, nothing to codify',
      });
    }
    expect(parse('ack SG-3')).toMatchObject({
      type: 'error',
      message: expect.stringContaining('Did you mean `/fix snooze SG-3 3d` or `/fix assign SG-3 @you`?'),
      example: '/fix snooze SG-3 3d',
    });
  });

  it('catches a subcommand glued to the ID', () => {
    expect(parse('reverted-SG-12')).toEqual({
      type: 'error',
      message:
        '`reverted-SG-12` is not a /fix subcommand. Did you mean `/fix reverted SG-12`? ' +
        'To log text that starts like this, use `/fix log reverted-SG-12 …`',
      example: '/fix reverted SG-12',
    });
    expect(parse('close-sg-4')).toMatchObject({ type: 'error', example: '/fix codified SG-4 https://github.com/acme/infra/pull/881' });
    expect(parse('show:#5')).toMatchObject({ type: 'error', example: '/fix show SG-5' });
    expect(parse('codify-SG-7')).toMatchObject({ type: 'error', message: expect.stringContaining('Did you mean `/fix codify SG-7`?'), example: '/fix codify SG-7' });
  });

  it('uses the installed command name', () => {
    expect(parse('close SG-12', { commandName: 'stopgap' })).toEqual({
      type: 'error',
      message:
        '`close` is not a /stopgap subcommand. Did you mean `/stopgap reverted SG-12` or `/stopgap codified SG-12 <PR>`? ' +
        'To log text that starts like this, use `/stopgap log close SG-12 …`',
      example: '/stopgap codified SG-12 https://github.com/acme/infra/pull/881',
    });
  });

  it('still logs text where the verb is not followed by a change ID, and anything after `log`', () => {
    expect(logged('deleted pod/web-0 -n shop').description).toBe('deleted pod/web-0');
    expect(logged('delete 12 pods in deploy/web').description).toBe('delete 12 pods in deploy/web');
    expect(logged('closed the SG-12 follow-up by hand').description).toBe('closed the SG-12 follow-up by hand');
    expect(logged('remove SG-0 from the list').description).toBe('remove SG-0 from the list');
    expect(logged('closeout SG-12').description).toBe('closeout SG-12');
    expect(logged('reverted-SG-x').description).toBe('reverted-SG-x');
    expect(logged('log close SG-12 by reverting the hpa change')).toEqual({
      description: 'close SG-12 by reverting the hpa change',
      resources: [],
    });
  });
});

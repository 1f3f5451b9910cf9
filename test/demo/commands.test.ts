import { describe, expect, it } from 'vitest';
import { completeDemoLine, parseDemoLine, words } from '../../src/demo/commands.js';
import type { ShopNames } from '../../src/demo/world.js';

const NAMES: ShopNames = { namespace: 'shop', deployments: ['checkout', 'payments-api'], container: 'api', configMaps: ['checkout-config'], nodes: ['ip-10-0-1-7', 'ip-10-0-1-8'] };
const PEOPLE = ['alice', 'bob'];
const parse = (line: string) => parseDemoLine(line, NAMES, PEOPLE);
const complete = (line: string) => completeDemoLine(line, { names: NAMES, people: PEOPLE, changeKeys: ['SG-1', 'SG-2'] });
const errorOf = (line: string) => {
  const { command } = parse(line);
  expect(command.kind, line).toBe('error');
  return command.kind === 'error' ? command.message : '';
};

describe('what the interactive demo reads from a line', () => {
  it('reads slash commands as typed, and who does them', () => {
    expect(parse('/fix scaled deploy/checkout to 5')).toEqual({ command: { kind: 'fix', text: 'scaled deploy/checkout to 5' } });
    expect(parse('/fix')).toEqual({ command: { kind: 'fix', text: '' } });
    expect(parse('as bob /fix list')).toEqual({ as: 'bob', command: { kind: 'fix', text: 'list' } });
    expect(parse('as @Bob')).toEqual({ command: { kind: 'switch', person: 'bob' } });
    expect(errorOf('as carol /fix list')).toContain('alice and bob');
  });

  it('reads clicks on a change or on drift, with a menu choice', () => {
    expect(parse('click sg-3 snooze 1d')).toEqual({ command: { kind: 'click', target: 'SG-3', button: 'snooze', choice: '1d' } });
    expect(parse('click drift log')).toEqual({ command: { kind: 'click', target: 'drift', button: 'log' } });
    expect(parse('click Drift SG-2')).toEqual({ command: { kind: 'click', target: 'drift', button: 'sg-2' } });
    expect(errorOf('click')).toContain('click SG-3 snooze 1d');
    expect(errorOf('click SG-1 snooze 1d extra')).toContain('click SG-3 snooze 1d');
    expect(errorOf('click banana log')).toContain("'banana' is neither a change");
  });

  it('reads kubectl changes the way kubectl spells them', () => {
    const edit = (line: string) => {
      const { command } = parse(line);
      return command.kind === 'kubectl' || command.kind === 'git' ? command.edit : command;
    };
    expect(edit('kubectl scale deploy/checkout --replicas 5')).toEqual({ verb: 'scale', deployment: 'checkout', replicas: 5 });
    expect(edit('kubectl scale deployment checkout --replicas=0 -n shop')).toEqual({ verb: 'scale', deployment: 'checkout', replicas: 0 });
    expect(edit('kubectl -n shop set image deploy/payments-api api=registry.example.com/p:1.2')).toEqual({
      verb: 'set-image',
      deployment: 'payments-api',
      image: 'registry.example.com/p:1.2',
    });
    expect(edit('kubectl edit cm checkout-config LOG_LEVEL=debug')).toEqual({ verb: 'edit', configMap: 'checkout-config', key: 'LOG_LEVEL', value: 'debug' });
    expect(edit('kubectl edit configmap checkout-config "GREETING=hello world"')).toEqual({ verb: 'edit', configMap: 'checkout-config', key: 'GREETING', value: 'hello world' });
    expect(edit('kubectl cordon node/ip-10-0-1-8')).toEqual({ verb: 'cordon', node: 'ip-10-0-1-8' });
    expect(edit('kubectl uncordon ip-10-0-1-7')).toEqual({ verb: 'uncordon', node: 'ip-10-0-1-7' });
    expect(parse('git scale deploy/checkout --replicas 5').command.kind).toBe('git');
  });

  it('says what was wrong and what to type instead', () => {
    expect(errorOf('frobnicate')).toContain('type help');
    expect(errorOf('kubectl scale deploy/nope --replicas 3')).toBe("There is no Deployment 'nope' in the shop; there are checkout, payments-api.");
    expect(errorOf('kubectl scale deploy/checkout')).toContain('Say how many replicas, 0 to 1000: kubectl scale deploy/checkout --replicas 5');
    expect(errorOf('kubectl scale deploy/checkout --replicas 99999')).toContain('0 to 1000');
    expect(errorOf('kubectl scale deploy/checkout --replicas -1')).toContain('0 to 1000');
    expect(errorOf('kubectl scale deploy/checkout --replicas 3 --force')).toContain("'--force' is not an option of scale");
    expect(errorOf('kubectl -n default scale deploy/checkout --replicas 3')).toContain("namespace shop, not 'default'");
    expect(errorOf('kubectl set image deploy/checkout web=x:1')).toContain('one container, api');
    expect(errorOf('kubectl set env deploy/checkout A=1')).toContain('Only set image');
    expect(errorOf('kubectl edit configmap checkout-config')).toContain('KEY=VALUE');
    expect(errorOf('kubectl edit secret checkout-db LOG=1')).toContain('Only ConfigMap data');
    expect(errorOf('kubectl cordon ip-9-9-9-9')).toContain("There is no node 'ip-9-9-9-9'");
    expect(errorOf('kubectl cordon')).toContain('kubectl cordon ip-10-0-1-7');
    expect(errorOf('git cordon ip-10-0-1-7')).toContain('Nodes are not cordoned in git');
    expect(errorOf('kubectl delete pod x')).toContain('kubectl delete is not simulated');
    expect(errorOf('wait')).toContain('wait 10m');
    expect(errorOf('wait 5y')).toContain('wait 10m');
    expect(errorOf('wait 9w')).toContain('4 weeks');
    expect(errorOf('wait 0m')).toContain('4 weeks');
  });

  it('reads time, the rest, and nothing', () => {
    expect(parse('wait 15m')).toEqual({ command: { kind: 'wait', ms: 900_000, label: '15m' } });
    expect(parse('wait 1w').command).toMatchObject({ ms: 604_800_000 });
    expect(parse('submit raised the log level').command).toEqual({ kind: 'submit', text: 'raised the log level' });
    expect(parse('  ').command.kind).toBe('nothing');
    expect(parse('# a comment in a script').command.kind).toBe('nothing');
    for (const [line, kind] of [['status', 'status'], ['help', 'help'], ['?', 'help'], ['quit', 'quit'], ['exit', 'quit'], ['cancel', 'cancel']] as const) expect(parse(line).command.kind).toBe(kind);
    expect(words(`a "b c" 'd e' f`)).toEqual(['a', 'b c', 'd e', 'f']);
  });

  it('offers what fits the word being typed on Tab', () => {
    expect(complete('ku')).toEqual([['kubectl '], 'ku']);
    expect(complete('')[0]).toEqual(expect.arrayContaining(['/fix ', 'click ', 'kubectl ', 'git ', 'wait ', 'as ']));
    expect(complete('kubectl sc')).toEqual([['scale '], 'sc']);
    expect(complete('kubectl scale de')[0]).toEqual(['deploy/checkout ', 'deploy/payments-api ']);
    expect(complete('kubectl scale deploy/checkout --r')).toEqual([['--replicas '], '--r']);
    expect(complete('kubectl edit configmap ')[0]).toEqual(['checkout-config ']);
    expect(complete('kubectl cordon ip-10-0-1-')[0]).toEqual(['ip-10-0-1-7 ', 'ip-10-0-1-8 ']);
    expect(complete('git ')[0]).not.toContain('cordon ');
    expect(complete('click ')[0]).toEqual(['SG-1 ', 'SG-2 ', 'drift ']);
    expect(complete('click SG-1 sn')).toEqual([['snooze '], 'sn']);
    expect(complete('click SG-1 snooze ')[0]).toEqual(['1d ', '3d ', '1w ']);
    expect(complete('click drift ')[0]).toEqual(['log ', 'link ', 'ignore ', 'SG-1 ', 'SG-2 ']);
    expect(complete('/fix sh')).toEqual([['show '], 'sh']);
    expect(complete('/fix show ')[0]).toEqual(['SG-1 ', 'SG-2 ']);
    expect(complete('as b')).toEqual([['bob '], 'b']);
    expect(complete('as bob ku')).toEqual([['kubectl '], 'ku']);
    expect(complete('wait ')[0]).toEqual(['10m ', '1h ', '1d ', '1w ']);
    expect(complete('frobnicate x')[0]).toEqual([]);
  });
});

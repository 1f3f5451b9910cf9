/**
 * The Dockerfile and .dockerignore as data: the stages and their steps (parsed with dockerfile-ast),
 * which files the build context holds, and the rules an image must keep (pinned bases, a numeric
 * non-root user, no secrets baked in). The static test checks the rules; .ci/image-build-check runs
 * the steps outside Docker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Copy, DockerfileParser, PropertyInstruction, type Dockerfile, type From, type Instruction } from 'dockerfile-ast';
import { REPO_ROOT } from '../support/built-cli.js';

export interface Stage {
  /** `AS name`, or null for an unnamed stage. */
  name: string | null;
  from: From;
  /** Every instruction after the FROM, in order. */
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Dockerfile {
  return DockerfileParser.parse(text);
}

export function readDockerfile(root = REPO_ROOT): Dockerfile {
  return parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
}

export function stages(df: Dockerfile): Stage[] {
  const out: Stage[] = [];
  for (const ins of df.getInstructions()) {
    if (ins.getKeyword() === 'FROM') {
      const from = ins as From;
      out.push({ name: from.getBuildStage(), from, instructions: [] });
    } else {
      out.at(-1)?.instructions.push(ins);
    }
  }
  return out;
}

/** The words of an instruction's arguments, exec-form JSON arrays decoded. */
export function execForm(ins: Instruction): string[] | null {
  const text = ins.getArgumentsContent()?.trim() ?? '';
  if (!text.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) && parsed.every((w) => typeof w === 'string') ? parsed : null;
}

export interface CopyStep {
  /** The stage copied from (`--from=`), or null for the build context. */
  from: string | null;
  sources: string[];
  /** The destination as an absolute path in the image (WORKDIR applied). */
  dest: string;
  /** Whether the destination names a directory to copy into (`./`). */
  intoDir: boolean;
}

/** Each COPY of a stage, with the WORKDIR in force at that point applied to its destination. */
export function copySteps(stage: Stage): CopyStep[] {
  let workdir = '/';
  const steps: CopyStep[] = [];
  for (const ins of stage.instructions) {
    const words = ins.getArguments().map((a) => a.getValue());
    if (ins.getKeyword() === 'WORKDIR') workdir = posix.resolve(workdir, words[0] ?? '/');
    if (!(ins instanceof Copy)) continue;
    const from = ins.getFromFlag()?.getValue() ?? null;
    const dest = words.at(-1) ?? '';
    steps.push({ from, sources: words.slice(0, -1), dest: posix.resolve(workdir, dest), intoDir: dest.endsWith('/') });
  }
  return steps;
}

/** The value of each ENV of a stage, last one winning. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions) {
    if (ins.getKeyword() !== 'ENV' || !(ins instanceof PropertyInstruction)) continue;
    for (const p of ins.getProperties()) env[p.getName()] = p.getValue() ?? '';
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Rules

/** `name:1.2.3-variant`, optionally `@sha256:…`: a tag that names one release, never `latest` or a bare major. */
export function unpinnedBases(df: Dockerfile): string[] {
  const stageNames = new Set(stages(df).map((s) => s.name).filter((n): n is string => n !== null));
  const problems: string[] = [];
  for (const from of df.getFROMs()) {
    const image = from.getImage() ?? '';
    if (stageNames.has(image)) continue;
    const tag = from.getImageTag();
    const digest = from.getImageDigest();
    if (digest !== null && !/^sha256:[0-9a-f]{64}$/.test(digest)) problems.push(`${image}: digest is not sha256:<64 hex>`);
    if (tag === null || !/^\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/.test(tag)) problems.push(`${image}: tag does not name a full version (major.minor.patch)`);
  }
  return problems;
}

/** The final stage's USER, when it is a numeric uid (and gid) other than root; otherwise why not. */
export function finalUser(df: Dockerfile): { uid: number; gid: number | null } | string {
  const last = stages(df).at(-1);
  const user = last?.instructions.filter((i) => i.getKeyword() === 'USER').at(-1);
  if (!user) return 'the final stage sets no USER: the container would run as root';
  const m = /^(\d+)(?::(\d+))?$/.exec(user.getArgumentsContent()?.trim() ?? '');
  if (!m) return `USER ${user.getArgumentsContent()} is not numeric: runAsNonRoot cannot verify a user name`;
  const uid = Number(m[1]);
  if (uid === 0) return 'USER 0 is root';
  return { uid, gid: m[2] === undefined ? null : Number(m[2]) };
}

const SECRET_NAME = /token|secret|passw(or)?d|api[_-]?key|private[_-]?key|credential/i;
const SECRET_VALUE = /xox[abposr]-|xapp-|-----BEGIN [A-Z ]*PRIVATE KEY/i;

/** ENV, ARG and LABEL names or values (in any stage), and RUN lines, that look like a credential. */
export function bakedSecrets(df: Dockerfile): string[] {
  const found: string[] = [];
  for (const ins of df.getInstructions()) {
    const kw = ins.getKeyword();
    if (ins instanceof PropertyInstruction) {
      for (const p of ins.getProperties()) {
        if (SECRET_NAME.test(p.getName()) || SECRET_VALUE.test(p.getValue() ?? '')) found.push(`${kw} ${p.getName()}`);
      }
    } else if (SECRET_VALUE.test(ins.getArgumentsContent() ?? '')) {
      found.push(`${kw} on line ${ins.getRange().start.line + 1}`);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// .dockerignore and the build context

interface IgnoreRule {
  negate: boolean;
  re: RegExp;
}

function globToRegExp(pattern: string): RegExp {
  if (/[[\\]/.test(pattern)) throw new Error(`.dockerignore pattern '${pattern}': character classes and escapes are not supported here`);
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Docker's rule: patterns apply in order, the last one that matches a path or one of its parent
 * directories decides, `!` lets a path back in.
 */
export function ignoreMatcher(text: string): (path: string) => boolean {
  const rules: IgnoreRule[] = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).trim()).replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, re: globToRegExp(pattern) };
    });
  return (path: string) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negate;
    return excluded;
  };
}

/** The files `docker build .` would send from `root`: every file .dockerignore does not leave out. */
export function contextFiles(root = REPO_ROOT): string[] {
  const ignoreText = readFileSync(join(root, '.dockerignore'), 'utf8');
  const excluded = ignoreMatcher(ignoreText);
  // A directory left out is not walked unless a `!` pattern might let something inside it back in.
  const negations = ignoreText
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/^\/+/, ''));
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (excluded(path) && !negations.some((n) => n.startsWith(`${path}/`) || n.startsWith('*'))) continue;
        walk(path);
      } else if (!excluded(path)) files.push(path);
    }
  };
  walk('');
  return files.sort();
}

/** The context files a COPY source names: the file itself, or every context file under the directory. */
export function filesOfSource(context: readonly string[], source: string): string[] {
  const clean = posix.normalize(source).replace(/^\.\/|\/+$/g, '');
  if (context.includes(clean)) return [clean];
  return context.filter((f) => f.startsWith(`${clean}/`));
}

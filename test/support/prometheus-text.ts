/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every line
 * must be a HELP, a TYPE or a sample of a declared family, or the read throws naming the line.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The series name as written (`x_bucket`, `x_sum`, ...). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL_PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);

/** A float as Prometheus reads one (Go's ParseFloat: `NaN` and `Inf` in any case, prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  if (/^nan$/i.test(text)) return NaN;
  const inf = /^([-+]?)inf(inity)?$/i.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : undefined;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = LABEL_PAIR.exec(rest);
    if (!m) throw new Error(`${where}: malformed labels {${text}}`);
    const [whole, name, raw] = m as unknown as [string, string, string];
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    labels[name] = raw.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

/** Which family a series belongs to: `x_bucket` → histogram `x`, and so on. */
function familyOf(families: Map<string, Family>, series: string): Family | undefined {
  const exact = families.get(series);
  if (exact && exact.type !== 'histogram') return exact;
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  if (!m) return undefined;
  const base = families.get(m[1] as string);
  if (!base) return undefined;
  if (base.type === 'histogram') return base;
  if (base.type === 'summary' && m[2] !== 'bucket') return base;
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
      if (!m) {
        if (/^# (HELP|TYPE) /.test(line)) throw new Error(`${where}: malformed ${line}`);
        return; // a comment
      }
      const [, what, name, rest] = m as unknown as [string, 'HELP' | 'TYPE', string, string];
      const family = families.get(name) ?? { name, type: 'untyped' as MetricType, help: '', samples: [] };
      if (what === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`${where}: unknown type ${rest}`);
        if (families.has(name) && family.samples.length > 0) throw new Error(`${where}: TYPE of ${name} after its samples`);
        if (families.has(name) && (family as { typed?: boolean }).typed) throw new Error(`${where}: TYPE of ${name} twice`);
        family.type = rest as MetricType;
        (family as { typed?: boolean }).typed = true;
      } else family.help = rest;
      families.set(name, family);
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`${where}: not a sample: ${line}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const value = parseValue(valueText);
    if (value === undefined) throw new Error(`${where}: bad value ${valueText}`);
    const family = familyOf(families, name);
    if (!family) throw new Error(`${where}: ${name} has no TYPE line`);
    const labels = labelText === undefined ? {} : parseLabels(labelText, where);
    if (family.type === 'counter' && value < 0) throw new Error(`${where}: negative counter ${name}`);
    if (name.endsWith('_bucket') && family.type === 'histogram' && !('le' in labels)) throw new Error(`${where}: bucket without le`);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) {
    if (family.type !== 'histogram') continue;
    // Buckets of each series are cumulative and end with +Inf, which equals the count.
    const series = new Map<string, Sample[]>();
    for (const s of family.samples.filter((x) => x.name.endsWith('_bucket'))) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++) {
        if ((buckets[i] as Sample).value < (buckets[i - 1] as Sample).value) throw new Error(`${family.name}${key}: buckets not cumulative`);
      }
      const last = buckets[buckets.length - 1] as Sample;
      if (last.labels['le'] !== '+Inf') throw new Error(`${family.name}${key}: no +Inf bucket`);
      const count = family.samples.find((s) => s.name === `${family.name}_count` && JSON.stringify(s.labels) === key);
      if (!count || count.value !== last.value) throw new Error(`${family.name}${key}: +Inf bucket differs from _count`);
    }
  }
  return families;
}

/** The value of one series, or undefined when it is not there. */
export function sampleValue(families: Map<string, Family>, series: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name === series && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}

/** Scrapes a running app's /metrics and reads it strictly. */
export async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parsePrometheusText(await res.text());
}

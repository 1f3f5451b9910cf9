/**
 * What `stopgap doctor` found, grouped by area, and how it is printed (pure): one line per check, a
 * problem always with its fix.
 */

export type Check =
  | { status: 'ok'; text: string }
  /** Something that will not work; `fix` says what to do about it. */
  | { status: 'problem'; text: string; fix: string }
  /** Worth knowing, not wrong: never fails the run. */
  | { status: 'note'; text: string };

export interface CheckGroup {
  /** `Slack`, `Slack channels`, `Cluster prod-eu`. */
  area: string;
  checks: Check[];
}

export function ok(text: string): Check {
  return { status: 'ok', text };
}

export function problem(text: string, fix: string): Check {
  return { status: 'problem', text, fix };
}

export function note(text: string): Check {
  return { status: 'note', text };
}

const MARK: Record<Check['status'], string> = { ok: 'ok     ', problem: 'PROBLEM', note: 'note   ' };

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The report as lines: each area's name, then its checks; a problem's fix on the same line. */
export function renderReport(groups: readonly CheckGroup[]): string[] {
  const lines: string[] = [];
  for (const group of groups) {
    if (lines.length > 0) lines.push('');
    lines.push(group.area);
    for (const check of group.checks) {
      const text = check.status === 'problem' ? `${sentence(check.text)} Fix: ${check.fix}` : check.text;
      lines.push(`  ${MARK[check.status]}  ${text}`);
    }
  }
  const problems = countProblems(groups);
  const passed = groups.reduce((n, g) => n + g.checks.filter((c) => c.status === 'ok').length, 0);
  lines.push('');
  lines.push(problems === 0 ? `All ${passed} checks passed.` : `${problems} problem${problems === 1 ? '' : 's'} found; ${passed} check${passed === 1 ? '' : 's'} passed.`);
  return lines;
}

export function countProblems(groups: readonly CheckGroup[]): number {
  return groups.reduce((n, g) => n + g.checks.filter((c) => c.status === 'problem').length, 0);
}

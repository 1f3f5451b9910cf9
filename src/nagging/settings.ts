/** Which team owns a change and which nagging settings apply to it: its team's over the top level's. Pure. */
import { naggingFor, type NaggingConfig } from '../config/nagging.js';
import { teamFor, type TeamConfig } from '../config/teams.js';
import type { Change } from '../ledger/model.js';

/** The team whose match covers the change's cluster and first named object. */
export function teamOfChange(teams: readonly TeamConfig[], change: Pick<Change, 'cluster' | 'resources'>): TeamConfig | undefined {
  const first = change.resources[0];
  return teamFor(teams, { cluster: change.cluster, namespace: first?.namespace, kind: first?.kind });
}

export function naggingOfChange(file: { nagging: NaggingConfig; teams: readonly TeamConfig[] }, change: Pick<Change, 'cluster' | 'resources'>): NaggingConfig {
  return naggingFor(file.nagging, teamOfChange(file.teams, change)?.nagging);
}

import { isAbsolute, resolve } from 'node:path';
import type { DesiredSourceConfig } from '../../config/clusters.js';
import { directorySourceInSlices } from './directory.js';
import { lastAppliedSource } from './last-applied.js';
import { managersSource } from './managers.js';
import { loadManifestDirectory } from './manifest-files.js';
import type { DesiredSource } from './source.js';

export * from './source.js';
export { directorySource } from './directory.js';
export type { DirectorySourceOptions } from './directory.js';
export { loadManifestDirectory } from './manifest-files.js';
export { parseManifests } from './manifests.js';
export type { Manifest, ManifestSet, ParsedManifests, StoredManifest } from './manifests.js';
export { lastAppliedSource } from './last-applied.js';
export { managersSource } from './managers.js';

/**
 * Builds a cluster's desired-state source from its config. A relative directory path is read from
 * `baseDir` (the config file's directory). Throws `desired_source_failed` when the directory itself
 * cannot be read; unparsable files are `problems` of the returned source.
 */
export async function openDesiredSource(config: DesiredSourceConfig, baseDir = process.cwd()): Promise<DesiredSource> {
  switch (config.type) {
    case 'directory': {
      const dir = isAbsolute(config.path) ? config.path : resolve(baseDir, config.path);
      return directorySourceInSlices(await loadManifestDirectory(dir), { defaultNamespace: config.defaultNamespace });
    }
    case 'last-applied':
      return lastAppliedSource();
    case 'managers':
      return managersSource();
  }
}

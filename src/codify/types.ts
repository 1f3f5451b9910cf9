/**
 * Codify's contract: drifted fields in, a patch for the manifests in git out. The pure core
 * (codify.ts) builds it; `stopgap codify`, `/fix codify` and the Codify button carry it to people.
 */
import type { SourceType } from '../drift/findings.js';
import type { DifferenceKind, ObjectRef } from '../drift/types.js';
import type { ManifestIndex } from './manifest-index.js';

/** One drifted field whose live value is to become the desired one. */
export interface FieldToCodify {
  /** JSON pointer, list items by merge key, as a finding's path: `/spec/template/spec/containers/name=api/image`. */
  path: string;
  /**
   * `changed`: set the field to `live`; `extra`: added by hand, add it with `live`; `missing`:
   * removed by hand, remove it from the manifest.
   */
  kind: DifferenceKind;
  /** The live value; `undefined` for `missing`. For a sensitive field, a fingerprint: never written. */
  live: unknown;
  /** The desired value as the manifests say it (for messages; the file is the authority). */
  desired: unknown;
  /** Secret data and configured sensitive pointers: the patch gets a placeholder and a warning. */
  sensitive: boolean;
}

/** The drift of one live object, to be written into the manifest that declares it. */
export interface ObjectToCodify {
  ref: ObjectRef;
  /** Where the finding's desired state came from: only a manifests directory can be patched. */
  source: SourceType;
  fields: FieldToCodify[];
}

export interface CodifyRequest {
  /** The manifests directory (the cluster's `desired.path`): files are read under it, patch paths are relative to it. */
  root: string;
  objects: ObjectToCodify[];
  /** The cluster's `desired.defaultNamespace`: a manifest naming no namespace declares objects there. Default `default`. */
  defaultNamespace?: string;
  /**
   * The root already indexed (`loadManifestIndex(root)`): many requests over one directory read it
   * once. Omitted: the directory is read for this request.
   */
  index?: ManifestIndex;
  /**
   * drift.sensitivePointers: values there are secret in any object, so a patch that shows one (as a
   * line it replaces or as context) is named in `secretsShown`, like one showing a Secret's data.
   */
  sensitivePointers?: readonly string[];
}

/** A field written into a manifest. */
export interface WrittenField {
  ref: ObjectRef;
  path: string;
  /** Relative to the root, `/`-separated. */
  file: string;
  /** 1-based line in the file as it was, where the field (or the place it was added) is. */
  line: number;
}

/** A field that could not be written, with why and, where one can be guessed, where a person would make the change. */
export interface UnwrittenField {
  ref: ObjectRef;
  path: string;
  /** One sentence for a person: why Stopgap cannot write this field. */
  reason: string;
  /**
   * A guess at where the change belongs (a Helm values file, a kustomize patch), labelled as a guess
   * wherever it is shown: `file` relative to the root, `text` what to set there.
   */
  suggestion?: { file: string; text: string };
}

export interface CodifyResult {
  /**
   * A unified diff with `a/` and `b/` prefixes, paths relative to the root, that `git apply` accepts
   * from the root; empty when nothing could be written.
   */
  patch: string;
  /** Files the patch changes, relative to the root, sorted. */
  files: string[];
  written: WrittenField[];
  notWritten: UnwrittenField[];
  /** Things a person must do besides applying the patch, e.g. a Secret value to set through the team's secret mechanism. */
  warnings: string[];
  /**
   * Files whose patch shows a secret value the manifest holds in clear (a Secret's data, stringData or
   * binaryData, or a sensitive field's old value), as context or as a line it replaces: a diff needs
   * those lines to apply, so such a patch must stay where the manifests are (never in Slack).
   */
  secretsShown: string[];
}

/**
 * A change's patch, as `stopgap codify SG-n`, `/fix codify SG-n` and the Codify button show it
 * (built by `codifyChange` in for-change.ts from the change's active linked findings and its
 * cluster's desired source).
 */
export type ChangeCodify =
  /** A patch (perhaps with fields it could not write, and warnings). `root`: the manifests directory it applies in. */
  | { outcome: 'patch'; changeKey: string; cluster: string; root: string; result: CodifyResult }
  /** Nothing could be written; `result.notWritten` says why for each field (and `reason` for all). */
  | { outcome: 'impossible'; changeKey: string; cluster?: string; reason: string; result: CodifyResult }
  /** No active drift is linked to the change: nothing to codify (`reason` says what to do instead). */
  | { outcome: 'nothing'; changeKey: string; reason: string };

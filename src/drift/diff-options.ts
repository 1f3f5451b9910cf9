/**
 * DiffOptions as the engine uses them: compiled once per options object (manager and pointer
 * patterns, manager classes memoised), and the ownership index they imply for an object's
 * managedFields.
 */
import {
  buildOwnershipIndex,
  classifyManager,
  compileManagerPattern,
  type ManagedFieldsEntry,
  type ManagerPattern,
  type OwnershipIndex,
} from './managed-fields.js';
import { compilePattern, type PointerPattern } from './pointer.js';
import type { DiffOptions, ManagerClass } from './types.js';

export const DEFAULT_TRUSTED_MANAGERS: readonly string[] = ['kube-controller-manager'];

export interface CompiledOptions {
  trusted: ManagerPattern;
  classify: (manager: string) => ManagerClass;
  ignore: PointerPattern[];
  sensitive: PointerPattern[];
  ignoreAggregatedRoles: boolean;
  threeWay: boolean;
  fingerprint: ((value: string) => string) | undefined;
}

function patternsOf(pointers: readonly string[] | undefined): PointerPattern[] {
  if (!pointers) return [];
  return pointers.map((p) => compilePattern(p === '' || p.startsWith('/') ? p : `/${p}`));
}

function compileOptions(options: DiffOptions): CompiledOptions {
  const automation = options.automationManagers?.length ? compileManagerPattern(options.automationManagers) : undefined;
  const classes = new Map<string, ManagerClass>();
  return {
    trusted: compileManagerPattern(options.trustedManagers ?? DEFAULT_TRUSTED_MANAGERS),
    classify(manager) {
      let c = classes.get(manager);
      if (c === undefined) {
        c = classifyManager(manager, automation);
        classes.set(manager, c);
      }
      return c;
    },
    ignore: patternsOf(options.ignorePointers),
    sensitive: patternsOf(options.sensitivePointers),
    ignoreAggregatedRoles: options.ignoreAggregatedRoles === true,
    threeWay: options.threeWay !== false,
    fingerprint: options.fingerprint,
  };
}

const compiledCache = new WeakMap<DiffOptions, CompiledOptions>();
const DEFAULT_OPTIONS: DiffOptions = {};

/** The compiled form of `options`, built on first use and cached for as long as the object lives. */
export function compile(options: DiffOptions | undefined): CompiledOptions {
  const key = options ?? DEFAULT_OPTIONS;
  let compiled = compiledCache.get(key);
  if (!compiled) {
    compiled = compileOptions(key);
    compiledCache.set(key, compiled);
  }
  return compiled;
}

/** Who owns what in an object's managedFields, with managers classed and trusted as the options say. */
export function ownershipIndexFor(entries: ManagedFieldsEntry[], opts: CompiledOptions): OwnershipIndex {
  const { classify, trusted } = opts;
  return buildOwnershipIndex(entries, { classify, isTrusted: (m) => trusted.matches(m) });
}

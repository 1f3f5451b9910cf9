import { describe, expect, it } from 'vitest';
import { reconcileOutcome } from '../../src/linking/reconcile.js';

const ended = (resolution: 'reverted' | 'codified' | 'deleted' | 'cleared') => ({ resolution, resolvedAt: '2026-11-30T04:00:00Z' });

describe('whether a change\'s linked drift proves it reconciled', () => {
  it('needs every linked field to have ended, and at least one linked', () => {
    expect(reconcileOutcome([])).toBeUndefined();
    expect(reconcileOutcome([ended('reverted'), {}])).toBeUndefined();
  });

  it('says reverted when every field went back (or its undeclared object was deleted), else codified', () => {
    expect(reconcileOutcome([ended('reverted')])).toBe('reverted');
    expect(reconcileOutcome([ended('reverted'), ended('deleted')])).toBe('reverted');
    expect(reconcileOutcome([ended('codified')])).toBe('codified');
    expect(reconcileOutcome([ended('reverted'), ended('codified')])).toBe('codified');
    expect(reconcileOutcome([ended('cleared')])).toBe('codified');
  });
});

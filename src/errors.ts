export type StopgapErrorCode =
  | 'config_invalid'
  | 'db_open_failed'
  | 'migration_checksum_mismatch'
  | 'migration_missing'
  | 'migration_failed'
  | 'ledger_not_found'
  | 'ledger_illegal_transition'
  | 'ledger_forbidden'
  | 'ledger_invalid_input'
  | 'ledger_busy'
  | 'slack_auth_failed'
  | 'slack_unreachable'
  | 'chain_broken'
  | 'parse_failed'
  | 'desired_source_failed'
  | 'cluster_unreachable'
  | 'k8s_request_failed'
  | 'usage';

/** An expected failure: `message` is written for the person who will read it, with what to do next. */
export class StopgapError extends Error {
  readonly code: StopgapErrorCode;

  constructor(code: StopgapErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StopgapError';
    this.code = code;
  }
}

export function isStopgapError(err: unknown): err is StopgapError {
  return err instanceof StopgapError;
}

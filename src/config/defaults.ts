/**
 * Defaults the configuration applies and the command help states, one value each. Imports nothing,
 * so `stopgap --help` can quote them without loading the configuration schemas.
 */

/** Where the SQLite database lives when STOPGAP_DB is not set. */
export const DEFAULT_DB_PATH = './data/stopgap.db';

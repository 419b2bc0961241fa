/** The throwaway PostgreSQL lives in scripts/services/postgres.ts: the bench starts the same one. */
export { startPostgres, type TestPostgres } from '../../scripts/services/postgres.js';

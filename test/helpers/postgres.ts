/** The throwaway PostgreSQL lives with the scripts, which start it too (the cluster soak); see there. */
export * from '../../scripts/services/postgres.js';

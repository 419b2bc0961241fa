/** The throwaway Redis lives in scripts/services/redis.ts: the bench starts the same one. */
export { startRedis, type TestRedis } from '../../scripts/services/redis.js';

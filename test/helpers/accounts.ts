/** scrypt parameters small enough for tests that hash many times (the defaults cost ~70 ms a hash). */
export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1, keylen: 32 };

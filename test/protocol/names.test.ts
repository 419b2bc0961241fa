import { describe, expect, it } from 'vitest';
import { foldName, isValidName, isValidRoom } from '../../src/protocol/internal.js';
import { CONFUSABLES } from '../../src/protocol/confusables-data.js';
import { lookalikeKeys, skeleton } from '../../src/protocol/skeleton.js';
import { readSource, renderTable } from '../../scripts/gen-confusables.js';
import { readFileSync } from 'node:fs';

const clash = (a: string, b: string): boolean => lookalikeKeys(a).some((k) => lookalikeKeys(b).includes(k));

describe('foldName folds as PRECIS does: NFKC, lower case, NFC', () => {
  it.each([
    ['fullwidth', 'ａlice', 'alice'],
    ['mathematical bold', '𝐚lice', 'alice'],
    ['a capital J and a combining caron against the precomposed ǰ', 'J\u030cane', '\u01f0ane'],
    ['the Ohm sign against a capital omega', '\u2126mega', 'ωmega'],
    ['the ﬁ ligature', 'ﬁona', 'fiona'],
    ['a circled digit', 'r①', 'r1'],
  ])('%s: %j and %j are one name', (_what, a, b) => {
    expect(foldName(a)).toBe(foldName(b));
  });

  it('keeps a Chinese, a Hindi and a Greek name apart from everything else', () => {
    expect(foldName('小明')).toBe('小明');
    expect(foldName('नमस्ते')).toBe('नमस्ते'.normalize('NFC'));
    expect(foldName('Οδυσσεύς')).toBe('οδυσσεύσ');
  });
});

describe('a name is valid only if its folded form is one too', () => {
  it.each([
    ['16 × "İ", which folds to 32 characters', 'İ'.repeat(16), true],
    ['32 × "İ", which folds to 64 characters', 'İ'.repeat(32), false],
    ['"ﷺ", which NFKC turns into words with spaces', '\ufdfa', false],
    ['"½", which NFKC turns into 1⁄2 with a fraction slash', '½', false],
    ['20 × "ﬁ", which folds to 40 characters', 'ﬁ'.repeat(20), false],
    ['a circled digit, which folds to a digit', 'r①', true],
    ['32 × "ß" (lower case stays one character)', 'ß'.repeat(32), true],
  ])('%s: %s', (_what, name, valid) => {
    expect(isValidName(name)).toBe(valid);
  });

  it('refuses the room "#İİİ…" that folds past the length limit, and keeps "#main"', () => {
    expect(isValidRoom('#' + 'İ'.repeat(32))).toBe(false);
    expect(isValidRoom('#' + 'İ'.repeat(16))).toBe(true);
    expect(isValidRoom('#main')).toBe(true);
  });
});

describe('look-alike names share a UTS #39 skeleton key', () => {
  it.each([
    ['Cyrillic а', 'alice', 'аlice'],
    ['fullwidth a', 'alice', 'ａlice'],
    ['mathematical bold a', 'alice', '𝐚lice'],
    ['capital I for l', 'alice', 'AIice'],
    ['Cyrillic capital А in a case variant', 'alice', 'АLICE'],
    ['digit one for l', 'paypal', 'paypa1'],
    ['digit zero for o', 'bob', 'b0b'],
    ['"rn" for "m" (UTS #39 says so; intended)', 'Tim', 'Tirn'],
    ['Ukrainian і', 'ali', 'alі'],
    ['a Cyrillic name with Latin O and a', 'Ольга', 'Oльгa'],
    ['room with Cyrillic а', '#main', '#mаin'],
    ['J + caron and ǰ', 'J\u030cane', '\u01f0ane'],
    ['two names that fold equal', 'ΟΔΥΣΣΕΥΣ', 'οδυσσευς'],
  ])('%s: %j and %j clash', (_what, a, b) => {
    expect(clash(a, b)).toBe(true);
  });

  it.each([
    ['an accent (UTS #39 keeps it)', 'alice', 'alíce'],
    ['another accent', 'bob', 'bób'],
    ['two Chinese names', '小明', '小朋'],
    ['"_" and "-"', 'ab_c', 'ab-c'],
    ['"." and "-"', 'a.b', 'a-b'],
    ['a Latin and a Cyrillic spelling that do not look alike', 'nikita', 'никита'],
    ['i and l', 'iago', 'lago'],
    ['Greek Δ and A', 'Δ', 'A'],
  ])('%s: %j and %j do not clash', (_what, a, b) => {
    expect(clash(a, b)).toBe(false);
  });

  it('is a comparison key, not a name: "m" becomes "rn"', () => {
    expect(skeleton('m')).toBe('rn');
  });

  it('the committed table is what scripts/gen-confusables.ts makes from the packaged confusables.txt', () => {
    const committed = readFileSync(new URL('../../src/protocol/confusables-data.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderTable(readSource()));
    expect(CONFUSABLES.split(',').filter(Boolean).length).toBeGreaterThan(1900);
  });
});

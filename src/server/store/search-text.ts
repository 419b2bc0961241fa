/**
 * @module
 * How text becomes searchable words, shared by both stores so they find the same things.
 *
 * Tokenizer choice (SQLite FTS5): `unicode61 remove_diacritics 2` over a search column in which
 * every Han, Hiragana and Katakana character stands alone between spaces. unicode61 folds case and
 * accents (café ↔ cafe) and splits on spaces and punctuation, but it would keep a run of Chinese
 * as one token, so 你好 would never match inside 你好世界. With one token per character a query
 * word becomes an FTS5 phrase of its characters ("你 好"), which matches those characters next to
 * each other anywhere: 你好 in 你好世界, こんにちは in a Japanese sentence. The trigram tokenizer
 * cannot match a two-character word at all, and a dictionary segmenter (ICU, jieba) is not in the
 * bundled SQLite and would miss words it does not know. The cost is a false hit where the two
 * characters are adjacent across a word boundary, which for chat search is the better error.
 * Korean is written with spaces and is left to unicode61; Thai and other scripts without spaces
 * are matched only as whole runs.
 *
 * The query is plain text: each whitespace-separated word is quoted as an FTS5 string (every `"`
 * doubled), so quotes, `NEAR(`, `*`, `AND`, `-` or `:` are words to find, never syntax. A word
 * with no letter or digit (`*`, a lone `"`) cannot match anything and is dropped.
 *
 * PostgreSQL (postgres.ts) has no CJK splitting and its accent folding (unaccent) depends on an
 * extension, so it indexes `tokens()` itself, already split and folded here, as a tsvector of the
 * built-in `simple` configuration, and matches `queryPhrases()` as `<->` phrases.
 */

const SPACED_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3005\u30fc]/gu;
const WORDY_RE = /[\p{L}\p{N}]/u;
const NOT_TOKEN_RE = /[^\p{L}\p{N}\p{Co}]+/u;

/** At most this many query words count: a longer query is cut, not an error. */
export const MAX_QUERY_WORDS = 16;

// eslint-disable-next-line no-control-regex
const ASCII_RE = /^[\x00-\x7f]*$/;

function spaceOut(text: string): string {
  // ASCII is its own NFKC form and holds no Han or kana: most chat lines skip both passes.
  if (ASCII_RE.test(text)) return text;
  return text.normalize('NFKC').replace(SPACED_RE, ' $& ');
}

/** The value of the FTS5 search column for a message's text. */
export function searchColumn(text: string): string {
  return spaceOut(text);
}

function queryWords(query: string): string[] {
  return query
    .normalize('NFKC')
    .split(/\s+/u)
    .filter((word) => WORDY_RE.test(word))
    .slice(0, MAX_QUERY_WORDS);
}

/** An FTS5 MATCH expression with no syntax of the user's in it, or undefined if nothing can match. */
export function ftsQuery(query: string): string | undefined {
  const terms = queryWords(query).map((word) => `"${spaceOut(word).replace(/"/g, '""')}"`);
  return terms.length === 0 ? undefined : terms.join(' ');
}

/** The words unicode61 would index for `text` (case and accents folded), for the memory and Postgres stores. */
export function tokens(text: string): string[] {
  return spaceOut(text)
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .split(NOT_TOKEN_RE)
    .filter((t) => t.length > 0);
}

/** The query as phrases of tokens (each must occur, its tokens adjacent), for the memory and Postgres stores. */
export function queryPhrases(query: string): string[][] {
  return queryWords(query)
    .map(tokens)
    .filter((phrase) => phrase.length > 0);
}

/** True if every phrase occurs in `haystack` (the message's tokens) with its tokens adjacent. */
export function matchesPhrases(haystack: readonly string[], phrases: readonly (readonly string[])[]): boolean {
  return phrases.every((phrase) => {
    for (let i = 0; i + phrase.length <= haystack.length; i++) {
      let j = 0;
      while (j < phrase.length && haystack[i + j] === phrase[j]) j++;
      if (j === phrase.length) return true;
    }
    return false;
  });
}

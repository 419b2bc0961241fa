/**
 * @module
 * What the client knows and shows, as one value (ChatState) and one function that advances it
 * (apply). apply() is pure: given the state and an event it returns the next state and the lines
 * the event adds to the pane. Nothing here touches a socket or a terminal; app.ts feeds events in
 * and hands the results to the screen.
 *
 * Own lines are shown from the server's echo, like everyone else's (STYLE.md #13): what we send
 * waits in `outgoing` (drawn dimmed, marked pending) until the echo carrying its label arrives.
 * outgoing.ts owns that value; apply() hands it the events that concern it.
 */
import { foldName, type ModeratedMsg, type ServerMessage } from '../protocol/internal.js';
import { compareNames, mentions } from './format.js';
import type { ActionLine, ChatLine, ErrorLine, MessageLine, NoteLine, PrivateLine, SpokenLine } from './line.js';
import { connect, createOutgoing, disconnect, enqueue, next, settle, type Line, type Outgoing, type PendingSend } from './outgoing.js';

export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'offline';

/** A request whose answer we wait for. The server answers a connection's requests in order. */
export type RequestType = 'who' | 'look' | 'rooms' | 'join' | 'nick' | 'part' | 'topic' | 'search' | 'history';

export interface OpenRequest {
  type: RequestType;
  /** Asked by the client itself (a `who` to refresh the count of people online): answered without a line. */
  quiet?: boolean;
}

export interface ChatState {
  /** The address we connect to, as the user gave it ("host:port"). */
  address: string;
  /** The server's name from its welcome ('' before the first welcome). */
  serverName: string;
  /** Our name: the one asked for until a welcome says otherwise, then the server's. */
  me: string;
  /** The account this connection is logged in to (welcome.account), if any. */
  account: string | undefined;
  /** That account is an operator (welcome.operator, as of the login). */
  operator: boolean;
  /** Logged-in users on the server. */
  clients: number;
  status: ConnectionStatus;
  /** A few words on the status ("name still in use", "gave up"). */
  statusDetail: string;
  /** While reconnecting: which attempt comes next, and when it starts (ms since the epoch). */
  retry: { attempt: number; at: number } | undefined;
  /** What we typed and the server has not answered yet, and the pace it goes at. */
  outgoing: Outgoing;
  /** Highest message id shown in this connection: ids only grow, so anything at or below it is a repeat. */
  lastId: number;
  /** People who spoke recently, most recent first (for completion). */
  recent: readonly string[];
  /** People we had private lines with, most recent first: reachable by /msg wherever they are. */
  partners: readonly string[];
  /** Rooms we have heard of (from /rooms and joins). */
  rooms: readonly string[];
  /** Requests sent on this connection and not yet answered, oldest first. */
  requests: readonly OpenRequest[];
  /** What the user entered that was refused (locally, or by the server): line mode's exit code. */
  refused: number;
  /** The last /search: its text, the results so far (newest first, numbered from 1 for /goto N), and whether older ones exist. */
  search: SearchState | undefined;
}

export interface SearchState {
  text: string;
  hits: readonly { id: number; room: string; ts: number }[];
  more: boolean;
}

/** The lines a `history` page makes: one per message, oldest first, marked as history. */
export function historyLines(messages: readonly (ServerMessage & { type: 'message' | 'private' })[], me: string): SpokenLine[] {
  return messages.map((m) => {
    const base = { ts: m.ts, from: m.from, text: m.text, id: m.id, history: true as const };
    const l: SpokenLine =
      m.type === 'private' ? { ...base, kind: 'private', to: m.to } : { ...base, kind: m.action ? 'action' : 'message' };
    if (same(m.from, me)) l.own = true;
    return l;
  });
}

export type ChatEvent =
  | { type: 'server'; message: ServerMessage; now: number }
  | { type: 'status'; status: ConnectionStatus; detail?: string; retry?: { attempt: number; at: number }; line?: string; now: number }
  | { type: 'send'; line: Line; now: number }
  /** The controller may send: what goes now comes back in Applied.send. */
  | { type: 'flush'; now: number }
  /** The controller sent a request whose answer it waits for. */
  | { type: 'request'; request: RequestType; quiet?: boolean; now: number; search?: string }
  /** `refusal`: an error about something the user entered (it counts in `refused`). */
  | { type: 'local'; kind: 'info' | 'error' | 'system'; text: string; refusal?: boolean; now: number };

export interface Applied {
  state: ChatState;
  lines: ChatLine[];
  /** For a flush: the lines to put on the wire now, in order, and when to flush again (undefined: after the next event). */
  send?: PendingSend[];
  wakeAt?: number | undefined;
}

const RECENT_LIMIT = 50;
/** Private partners remembered for completion. */
const PARTNERS_LIMIT = 50;

export function initialState(address: string, name: string, room = '#main'): ChatState {
  return {
    address,
    serverName: '',
    me: name,
    account: undefined,
    operator: false,
    clients: 0,
    status: 'connecting',
    statusDetail: '',
    retry: undefined,
    outgoing: createOutgoing(),
    lastId: 0,
    recent: [],
    partners: [],
    rooms: [room],
    requests: [],
    refused: 0,
    search: undefined,
  };
}

const same = (a: string, b: string): boolean => foldName(a) === foldName(b);

function without(list: readonly string[], name: string): string[] {
  return list.filter((n) => !same(n, name));
}

function addRoom(rooms: readonly string[], room: string): readonly string[] {
  return rooms.some((r) => same(r, room)) ? rooms : [...rooms, room];
}

/** The requests without the oldest one of `type` (the one a reply of that type answers), and whether that one was quiet. */
function answer(requests: readonly OpenRequest[], types: readonly RequestType[]): { requests: readonly OpenRequest[]; quiet: boolean } {
  const i = requests.findIndex((r) => types.includes(r.type));
  if (i < 0) return { requests, quiet: false };
  return { requests: [...requests.slice(0, i), ...requests.slice(i + 1)], quiet: requests[i]!.quiet === true };
}

/** What to type to send a refused line again. */
export function asInput(p: Line): string {
  if (p.kind === 'msg') return `/msg ${p.to} ${p.text}`;
  if (p.kind === 'me') return `/me ${p.text}`;
  return p.text.startsWith('/') ? `/${p.text}` : p.text;
}

function list(names: readonly string[]): string {
  // The order the user list and line mode's /users use: user2 before user10, whatever the case.
  return names.length === 0 ? '(nobody)' : [...names].sort(compareNames).join(', ');
}

export function apply(state: ChatState, event: ChatEvent): Applied {
  switch (event.type) {
    case 'server':
      return applyServer(state, event.message, event.now);
    case 'status': {
      // A dropped connection took what was on the wire with it: all of that goes again.
      const online = event.status === 'online';
      const outgoing = online ? (state.status === 'online' ? state.outgoing : connect(state.outgoing)) : disconnect(state.outgoing);
      // So did the requests not yet answered: nothing will answer them now.
      const requests = online ? state.requests : [];
      const after = { ...state, outgoing, requests, status: event.status, statusDetail: event.detail ?? '', retry: event.retry };
      return { state: after, lines: event.line ? [{ kind: 'system', ts: event.now, text: event.line }] : [] };
    }
    case 'send':
      return { state: { ...state, outgoing: enqueue(state.outgoing, event.line, event.now).outgoing }, lines: [] };
    case 'flush': {
      const { outgoing, send, wakeAt } = next(state.outgoing, event.now);
      return { state: send.length === 0 && wakeAt === undefined ? state : { ...state, outgoing }, lines: [], send, wakeAt };
    }
    case 'request':
      return {
        state: {
          ...state,
          requests: [...state.requests, { type: event.request, ...(event.quiet ? { quiet: true } : {}) }],
          // A new /search: its results are numbered from 1 again.
          ...(event.search !== undefined ? { search: { text: event.search, hits: [], more: false } } : {}),
        },
        lines: [],
      };
    case 'local':
      return {
        state: event.refusal ? { ...state, refused: state.refused + 1 } : state,
        lines: [{ kind: event.kind, ts: event.now, text: event.text }],
      };
  }
}

/**
 * welcome.account, read without the protocol's types: the server's accounts add the field to
 * src/protocol (issue 14); until then no welcome has it.
 */
function accountOf(welcome: object): string | undefined {
  const account = (welcome as { account?: unknown }).account;
  return typeof account === 'string' && account !== '' ? account : undefined;
}

function applyServer(s: ChatState, m: ServerMessage, now: number): Applied {
  const line = (kind: (NoteLine | ErrorLine)['kind'], text: string, ts = now): NoteLine | ErrorLine => ({ kind, ts, text });
  switch (m.type) {
    case 'history': {
      // windows.ts drops what a window has shown already and says where the lines go.
      const { requests } = answer(s.requests, ['history']);
      return { state: requests === s.requests ? s : { ...s, requests }, lines: historyLines(m.messages, s.me) };
    }
    case 'results': {
      const { requests, quiet } = answer(s.requests, ['search']);
      // A page asked with `before` continues the numbering; a new /search starts it again (app.ts clears `search`).
      const prev = s.search ?? { text: '', hits: [], more: false };
      const fresh = m.messages.filter((x) => x.type === 'message' && !prev.hits.some((h) => h.id === x.id));
      const hits = [...prev.hits, ...fresh.map((x) => ({ id: x.id, room: (x as { room: string }).room, ts: x.ts }))];
      const lines: ChatLine[] = historyLines(fresh, s.me).map((l, i) => ({
        ...l,
        result: { n: prev.hits.length + i + 1, room: (fresh[i] as { room: string }).room },
      }));
      const n = hits.length;
      const head =
        prev.hits.length === 0
          ? [line('info', n === 0 ? `No results for "${prev.text}"` : `Results for "${prev.text}", newest first:`)]
          : [];
      const tail = [
        line(
          'info',
          m.more ? `${n} shown; /more for older results, /goto N to jump to one` : n > 0 ? `${n} in all; /goto N jumps to result N` : '',
        ),
      ].filter((l) => l.text !== '');
      return {
        state: { ...s, requests, search: { text: prev.text, hits, more: m.more } },
        lines: quiet ? [] : [...head, ...lines, ...tail],
      };
    }
    case 'registered':
      return { state: s, lines: [line('system', `The name ${m.name} is now registered to you.`)] };
    case 'welcome': {
      const state: ChatState = {
        ...s,
        serverName: m.server,
        me: m.you,
        account: accountOf(m),
        operator: m.operator === true,
        clients: m.clients,
        lastId: 0, // a new connection, perhaps to a restarted server: ids start afresh
        rooms: m.rooms.reduce((acc, r) => addRoom(acc, r.room), s.rooms),
        requests: [],
      };
      // One line for a login, the first or after a drop (then the status is still reconnecting).
      const again = s.status === 'reconnecting';
      const where = m.rooms.length === 0 ? 'In no room' : m.rooms.map((r) => r.room).join(', ');
      const lines = [line('system', `${again ? 'Reconnected' : 'Connected'} to ${m.server} as ${m.you}. ${where}`)];
      if (m.motd) for (const l of m.motd.split(/\r?\n/)) lines.push(line('info', l));
      return { state, lines };
    }
    case 'message': {
      const own = same(m.from, s.me);
      // Our copy of the echo carries the label of the line it delivers.
      const outgoing = own && m.label !== undefined ? settle(s.outgoing, m.label, 'delivered', now).outgoing : s.outgoing;
      if (m.id <= s.lastId) return { state: outgoing === s.outgoing ? s : { ...s, outgoing }, lines: [] };
      const kind = m.action ? 'action' : 'message';
      const state: ChatState = {
        ...s,
        lastId: m.id,
        outgoing,
        recent: own ? s.recent : [m.from, ...without(s.recent, m.from)].slice(0, RECENT_LIMIT),
      };
      const l: MessageLine | ActionLine = { kind, ts: m.ts, from: m.from, text: m.text, id: m.id };
      if (own) l.own = true;
      else if (mentions(m.text, s.me)) l.mention = true;
      return { state, lines: [l] };
    }
    case 'private': {
      const own = same(m.from, s.me);
      const outgoing = own && m.label !== undefined ? settle(s.outgoing, m.label, 'delivered', now).outgoing : s.outgoing;
      if (m.id <= s.lastId) return { state: outgoing === s.outgoing ? s : { ...s, outgoing }, lines: [] };
      const other = own ? m.to : m.from;
      const state: ChatState = {
        ...s,
        lastId: m.id,
        partners: [other, ...without(s.partners, other)].slice(0, PARTNERS_LIMIT),
        outgoing,
        recent: own
          ? [m.to, ...without(s.recent, m.to)].slice(0, RECENT_LIMIT)
          : [m.from, ...without(s.recent, m.from)].slice(0, RECENT_LIMIT),
      };
      const l: PrivateLine = { kind: 'private', ts: m.ts, from: m.from, to: m.to, text: m.text, id: m.id };
      if (own) l.own = true;
      else l.mention = true; // a private message is addressed to us: as loud as a mention
      return { state, lines: [l] };
    }
    case 'joined': {
      // `clients` counts the whole server, whichever room the news is about; windows.ts routes the line.
      return { state: { ...s, clients: m.clients }, lines: [line('system', `${m.name} has joined ${m.room}`, m.ts)] };
    }
    case 'topic': {
      const text = m.text === '' ? `${m.room} has no topic` : `Topic for ${m.room}: ${m.text}`;
      return {
        state: { ...s, requests: answer(s.requests, ['topic']).requests },
        lines: [
          line(
            'system',
            m.by === '' ? text : m.text === '' ? `${m.by} cleared the topic of ${m.room}` : `${m.by} set the topic: ${m.text}`,
            m.ts || now,
          ),
        ],
      };
    }
    case 'left': {
      if (m.reason === 'kicked') {
        const by = m.by === undefined ? '' : ` by ${m.by}`;
        const said = m.text === undefined ? '' : `: ${m.text}`;
        const text = same(m.name, s.me) ? `You were kicked from ${m.room}${by}${said}` : `${m.name} was kicked from ${m.room}${by}${said}`;
        return { state: { ...s, clients: m.clients }, lines: [line('system', text, m.ts)] };
      }
      const why =
        m.reason === 'logout'
          ? ''
          : m.reason === 'part'
            ? m.text === undefined
              ? ' (left the room)'
              : ` (left the room: ${m.text})`
            : ` (${m.reason.replace('_', ' ')})`;
      const text = same(m.name, s.me)
        ? `You have left ${m.room}${m.reason === 'part' ? (m.text === undefined ? '' : `: ${m.text}`) : why}`
        : `${m.name} has left ${m.room}${why}`;
      const requests = same(m.name, s.me) ? answer(s.requests, ['part']).requests : s.requests;
      return { state: { ...s, requests, clients: m.clients }, lines: [line('system', text, m.ts)] };
    }
    case 'renamed': {
      const mine = same(m.from, s.me);
      const rename = (names: readonly string[]): string[] => names.map((n) => (same(n, m.from) ? m.to : n));
      // The server tells everyone; windows.ts puts the line where the person is (or in the server window).
      return {
        state: {
          ...s,
          requests: mine ? answer(s.requests, ['nick']).requests : s.requests,
          me: mine ? m.to : s.me,
          recent: rename(s.recent),
          partners: rename(s.partners),
        },
        lines: [line('system', mine ? `You are now known as ${m.to}` : `${m.from} is now known as ${m.to}`, m.ts)],
      };
    }
    case 'users': {
      const { requests, quiet } = answer(s.requests, ['who']);
      return {
        state: { ...s, requests, clients: m.clients },
        lines: quiet ? [] : [line('info', `Online (${m.clients}): ${list(m.users)}`)],
      };
    }
    case 'room': {
      const i = s.requests.findIndex((r) => r.type === 'look' || r.type === 'join');
      const joined = s.requests[i]?.type === 'join';
      const state: ChatState = { ...s, requests: answer(s.requests, ['look', 'join']).requests, rooms: addRoom(s.rooms, m.room) };
      return {
        state,
        lines: [line(joined ? 'system' : 'info', `${joined ? 'You are now in' : 'In'} ${m.room} (${m.users.length}): ${list(m.users)}`)],
      };
    }
    case 'rooms': {
      const text = m.rooms.length === 0 ? 'Rooms: (none)' : `Rooms: ${m.rooms.map((r) => `${r.room} (${r.users})`).join(', ')}`;
      return {
        state: { ...s, requests: answer(s.requests, ['rooms']).requests, rooms: m.rooms.reduce((acc, r) => addRoom(acc, r.room), s.rooms) },
        lines: [line('info', text)],
      };
    }
    case 'notice':
      return { state: s, lines: [line('system', `Server notice: ${m.text}`)] };
    case 'error': {
      const refused = s.refused + 1;
      if (m.ref !== 'say' && m.ref !== 'msg') {
        const types: RequestType[] =
          m.ref === 'who' ||
          m.ref === 'look' ||
          m.ref === 'rooms' ||
          m.ref === 'join' ||
          m.ref === 'nick' ||
          m.ref === 'part' ||
          m.ref === 'topic' ||
          m.ref === 'search' ||
          m.ref === 'history'
            ? [m.ref]
            : [];
        const { requests, quiet } = answer(s.requests, types);
        // A refused refresh of the count was not the user's doing: nothing to show or count.
        if (quiet) return { state: { ...s, requests }, lines: [] };
        return { state: { ...s, requests, refused }, lines: [line('error', m.message)] };
      }
      // The error carries the label of the line it refuses.
      const settled =
        m.label === undefined ? undefined : settle(s.outgoing, m.label, m.code === 'rate_limited' ? 'rate_limited' : 'refused', now);
      if (!settled?.line) return { state: { ...s, refused }, lines: [line('error', m.message)] };
      // Refused for our pace only: it goes again, more slowly, so it stays pending.
      if (m.code === 'rate_limited') {
        return {
          state: { ...s, outgoing: settled.outgoing },
          lines: settled.slowed ? [line('info', 'The server asked us to slow down; sending more slowly')] : [],
        };
      }
      // The text is not lost: the line says how to send it again, and the full screen puts it back in the input line.
      const unsent = asInput(settled.line);
      const l: ErrorLine = { kind: 'error', ts: now, text: `${m.message} Not sent: ${unsent}`, unsent };
      return { state: { ...s, refused, outgoing: settled.outgoing }, lines: [l] };
    }
    case 'bye':
      // The server's own notice says why; this says what happens next.
      return { state: s, lines: m.reason === 'shutdown' ? [line('system', 'The server is going away; we reconnect when it is back')] : [] };
    case 'ping':
    case 'pong':
      return { state: s, lines: [] };
    // ---- moderation ----
    case 'moderated':
      return { state: s, lines: [line('info', moderatedText(m))] };
    case 'bans': {
      const where = m.room ?? 'the server';
      if (m.bans.length === 0) return { state: s, lines: [line('info', `No bans in force on ${where}`)] };
      return {
        state: s,
        lines: [
          line('info', `Bans on ${where} (${m.bans.length}${m.more ? ', the oldest; there are more' : ''}):`),
          ...m.bans.map((b) =>
            line(
              'info',
              `  ${b.name ?? b.address ?? ''} by ${b.by}, ${untilWords(b.until)}${b.reason === undefined ? '' : `: ${b.reason}`}`,
            ),
          ),
        ],
      };
    }
    // ---- end moderation ----
  }
}

// ---- moderation ----
function untilWords(until: number | undefined): string {
  return until === undefined ? 'until lifted' : `until ${new Date(until).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function moderatedText(m: ModeratedMsg): string {
  const who = m.name ?? m.address ?? '';
  const where = m.room ?? 'the server';
  switch (m.action) {
    case 'kick':
      return m.room === undefined ? `${who} is kicked off the server` : `${who} is kicked from ${m.room}`;
    case 'ban':
      return `${who} is banned from ${where}, ${untilWords(m.until)}${m.kicked ? ` (${m.kicked} kicked)` : ''}`;
    case 'unban':
      return `${who} is no longer banned from ${where}`;
    case 'mute':
      return `${who} is muted in ${where}, ${untilWords(m.until)}`;
    case 'unmute':
      return `${who} is no longer muted in ${where}`;
  }
}
// ---- end moderation ----

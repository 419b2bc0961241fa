/**
 * @module
 * The chart for docs/PERFORMANCE.md: two panels over the room scenarios, deliveries per second
 * (left, higher is better) and p99 latency at equal offered load (right, log scale, lower is
 * better), against the number of clients in the room, one line per target. Plain SVG, no library.
 */
import type { BenchRun } from './run.js';
import type { TargetName } from './targets.js';

const COLORS: Record<TargetName, string> = {
  framechat: '#d62728',
  'framechat-nostore': '#ff9896',
  'framechat-base': '#8c564b',
  'framechat-pg': '#e377c2',
  'framechat-cluster2': '#bcbd22',
  'framechat-cluster3': '#17becf',
  relay: '#7f7f7f',
  inspircd: '#1f77b4',
  ngircd: '#2ca02c',
  'ircd-hybrid': '#9467bd',
};

const PANEL_W = 420;
const PANEL_H = 300;
const MARGIN = { left: 64, right: 16, top: 40, bottom: 48 };
const WIDTH = 2 * (PANEL_W + MARGIN.left + MARGIN.right);
const HEIGHT = PANEL_H + MARGIN.top + MARGIN.bottom + 30;

interface Series {
  target: TargetName;
  points: { x: number; y: number }[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
}

function shortNumber(n: number): string {
  return n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(0)}k` : String(+n.toFixed(1));
}

function panel(x0: number, title: string, xs: number[], series: Series[], log: boolean, unit: string): string {
  const parts: string[] = [];
  const left = x0 + MARGIN.left;
  const top = MARGIN.top;
  const xAt = (i: number): number => left + (xs.length === 1 ? PANEL_W / 2 : (i / (xs.length - 1)) * PANEL_W);
  const values = series.flatMap((s) => s.points.map((p) => p.y)).filter((v) => v > 0 && Number.isFinite(v));
  let yAt: (v: number) => number;
  let ticks: number[];
  if (log) {
    const lo = Math.floor(Math.log10(Math.min(...values, 1)));
    const hi = Math.ceil(Math.log10(Math.max(...values, 10)));
    yAt = (v) => top + PANEL_H - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * PANEL_H;
    ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
  } else {
    const step = niceStep(Math.max(...values, 1), 5);
    const max = Math.ceil(Math.max(...values, 1) / step) * step;
    yAt = (v) => top + PANEL_H - (v / max) * PANEL_H;
    ticks = Array.from({ length: Math.round(max / step) + 1 }, (_, i) => i * step);
  }
  parts.push(`<text x="${left + PANEL_W / 2}" y="${top - 16}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  for (const t of ticks) {
    const y = yAt(t).toFixed(1);
    parts.push(`<line x1="${left}" x2="${left + PANEL_W}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${shortNumber(t)}</text>`);
  }
  xs.forEach((x, i) => {
    parts.push(`<text x="${xAt(i)}" y="${top + PANEL_H + 18}" text-anchor="middle" font-size="11">${x}</text>`);
  });
  parts.push(`<text x="${left + PANEL_W / 2}" y="${top + PANEL_H + 38}" text-anchor="middle" font-size="12">clients in the room</text>`);
  parts.push(
    `<text transform="translate(${x0 + 14} ${top + PANEL_H / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(unit)}</text>`,
  );
  parts.push(`<rect x="${left}" y="${top}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
  for (const s of series) {
    const pts = s.points
      .filter((p) => p.y > 0 && Number.isFinite(p.y))
      .map((p) => `${xAt(xs.indexOf(p.x)).toFixed(1)},${yAt(p.y).toFixed(1)}`);
    if (pts.length === 0) continue;
    const width = s.target === 'framechat' ? 3 : 1.8;
    const dash = s.target === 'relay' ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS[s.target]}" stroke-width="${width}"${dash}/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${COLORS[s.target]}"/>`);
    }
  }
  return parts.join('\n');
}

export function renderChart(run: BenchRun): string {
  const rooms = run.scenarios.filter((s) => s.scenario.kind === 'room').sort((a, b) => a.scenario.clients - b.scenario.clients);
  const xs = rooms.map((s) => s.scenario.clients);
  const names = [...new Set(rooms.flatMap((s) => s.results.filter((r) => r.status === 'ok').map((r) => r.target)))];
  const series = (read: (r: BenchRun['scenarios'][number]['results'][number]) => number | undefined): Series[] =>
    names.map((target) => ({
      target,
      points: rooms.flatMap((s) => {
        const r = s.results.find((x) => x.target === target && x.status === 'ok');
        const y = r ? read(r) : undefined;
        return y === undefined ? [] : [{ x: s.scenario.clients, y }];
      }),
    }));
  const legend = names
    .map((n, i) => {
      const x = MARGIN.left + i * 150;
      const y = HEIGHT - 14;
      return (
        `<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${COLORS[n]}" stroke-width="${n === 'framechat' ? 3 : 1.8}"${n === 'relay' ? ' stroke-dasharray="6 4"' : ''}/>` +
        `<text x="${x + 30}" y="${y}" dominant-baseline="middle" font-size="12">${esc(n === 'relay' ? 'minimal relay' : n)}</text>`
      );
    })
    .join('\n');
  const half = PANEL_W + MARGIN.left + MARGIN.right;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
${panel(
  0,
  'Deliveries per second (higher is better)',
  xs,
  series((r) => r.throughput?.deliveriesPerSec),
  false,
  'deliveries/s',
)}
${panel(
  half,
  'p99 latency at equal offered load (lower is better)',
  xs,
  series((r) => r.latency?.p99Ms),
  true,
  'ms (log scale)',
)}
${legend}
</svg>
`;
}

// Hand-written SVG charts. Every data mark (bar, point, cell) carries data-value (its number)
// and a <title> tooltip. Charts are drawn at the pixel width of their container, and labels are
// measured (canvas measureText, the page's font) so they fit.

import {s, fmtNum, fmtDate, fmtInstant} from './dom.js';

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d',
  '#ea580c', '#4f46e5', '#0d9488', '#9333ea', '#b45309', '#475569', '#be123c', '#15803d'];

export const color = (i) => PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];

let measureContext = null;

/** The width of a text in pixels at a font size. */
export function textWidth(text, size = 12, weight = 'normal') {
  if (!measureContext) measureContext = document.createElement('canvas').getContext('2d');
  if (!measureContext) return String(text).length * size * 0.6;
  measureContext.font = `${weight} ${size}px ${FONT}`;
  return measureContext.measureText(String(text)).width;
}

/** The text cut with an ellipsis to fit a width. */
export function fitText(text, width, size = 12, weight = 'normal') {
  const full = String(text);
  if (textWidth(full, size, weight) <= width) return full;
  let lo = 0;
  let hi = full.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${full.slice(0, mid)}…`, size, weight) <= width) lo = mid; else hi = mid - 1;
  }
  return lo > 0 ? `${full.slice(0, lo)}…` : '';
}

/** Round tick values from 0 to at least max. */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) || raw;
  const ticks = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toFixed(10)));
  if (ticks.length < 2) ticks.push(step);
  return ticks;
}

const compact = new Intl.NumberFormat('en-US', {notation: 'compact', maximumFractionDigits: 1});
const tickLabel = (v) => (Math.abs(v) >= 10000 ? compact.format(v) : fmtNum(v));

/** Light to dark blue for a share 0..1 of the maximum. */
export function heatColor(t) {
  const x = Math.max(0, Math.min(1, t));
  const from = [239, 246, 255];
  const to = [29, 78, 216];
  const c = from.map((f, i) => Math.round(f + (to[i] - f) * Math.pow(x, 0.75)));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

const heatText = (t) => (t > 0.5 ? '#ffffff' : '#1f2937');

function svgRoot(width, height, label, cls) {
  return s('svg', {
    class: `chart ${cls || ''}`.trim(), width, height, viewBox: `0 0 ${width} ${height}`,
    role: 'img', 'aria-label': label || null,
  });
}

const title = (text) => s('title', null, text);

function text(x, y, content, attrs) {
  return s('text', {x, y, ...attrs}, content);
}

function emptyChart(width, height, message) {
  const svg = svgRoot(width, height, message, 'chart-empty');
  svg.append(text(width / 2, height / 2, message, {'text-anchor': 'middle', class: 'chart-muted', 'dominant-baseline': 'middle'}));
  return svg;
}

/**
 * Multi-line chart of values over time.
 * times: ISO instants or Dates; series: [{name, color, values}]; values aligned to times.
 */
export function lineChart({times, series, width = 600, height = 240, unit = 'members', label}) {
  width = Math.max(240, Math.floor(width));
  if (!times || times.length === 0 || !series || series.length === 0) return emptyChart(width, height, 'No data in this period');
  const dates = times.map((t) => (t instanceof Date ? t : new Date(t)));
  const max = Math.max(0, ...series.flatMap((sr) => sr.values.map(Number).filter(Number.isFinite)));
  const ticks = niceTicks(max, 4);
  const top = ticks[ticks.length - 1] || 1;
  const left = Math.ceil(Math.max(...ticks.map((t) => textWidth(tickLabel(t), 11)))) + 10;
  const right = 14;
  const topPad = 10;
  const bottom = 26;
  const plotW = width - left - right;
  const plotH = height - topPad - bottom;
  const n = dates.length;
  const x = (i) => left + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const y = (v) => topPad + plotH - (v / top) * plotH;
  const svg = svgRoot(width, height, label, 'chart-line');

  const grid = s('g', {class: 'grid'});
  for (const t of ticks) {
    grid.append(s('line', {x1: left, x2: width - right, y1: y(t), y2: y(t)}));
    grid.append(text(left - 6, y(t), tickLabel(t), {'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick'}));
  }
  svg.append(grid);

  // x ticks: the first and last instants, then evenly spaced ones where they do not overlap.
  const xAxis = s('g', {class: 'axis'});
  xAxis.append(s('line', {x1: left, x2: width - right, y1: topPad + plotH, y2: topPad + plotH}));
  const labelW = textWidth('2026-12-31', 11);
  const slots = Math.max(1, Math.min(n - 1, Math.floor(plotW / (labelW + 24))));
  const candidates = [0, n - 1];
  for (let k = 1; k < slots; k++) candidates.push(Math.round((k / slots) * (n - 1)));
  const taken = [];
  for (const i of candidates) {
    if (taken.some((t) => t.i === i)) continue;
    const anchor = n === 1 ? 'middle' : i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
    const x0 = anchor === 'start' ? x(i) : anchor === 'end' ? x(i) - labelW : x(i) - labelW / 2;
    if (taken.some((t) => x0 < t.x1 + 12 && x0 + labelW > t.x0 - 12)) continue;
    taken.push({i, x0, x1: x0 + labelW});
    xAxis.append(s('line', {x1: x(i), x2: x(i), y1: topPad + plotH, y2: topPad + plotH + 4}));
    xAxis.append(text(x(i), height - 8, fmtDate(dates[i]), {'text-anchor': anchor, class: 'tick'}));
  }
  svg.append(xAxis);

  series.forEach((sr, si) => {
    const c = sr.color || color(si);
    const g = s('g', {class: 'series', 'data-series': sr.name});
    const d = sr.values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(Number(v) || 0).toFixed(1)}`).join('');
    g.append(s('path', {d, fill: 'none', stroke: c, 'stroke-width': 2, 'stroke-linejoin': 'round', 'stroke-linecap': 'round'}));
    sr.values.forEach((v, i) => {
      g.append(s('circle', {
        class: 'point', cx: x(i).toFixed(1), cy: y(Number(v) || 0).toFixed(1), r: n > 60 ? 2 : 3, fill: c,
        'data-value': v, 'data-time': dates[i].toISOString(),
      }, title(`${sr.name}\n${fmtInstant(dates[i], {seconds: false})}: ${fmtNum(v)} ${unit}`)));
    });
    svg.append(g);
  });
  return svg;
}

/**
 * Horizontal bar chart. items: [{label, value, href, color, title, attrs}]; a bar with an href is
 * a link (the whole row). attrs go on the bar (the mark).
 */
export function barChart({items, width = 400, barHeight = 18, gap = 7, format = fmtNum, label, maxLabel = 0.45, maxValue}) {
  width = Math.max(220, Math.floor(width));
  if (!items || items.length === 0) return emptyChart(width, 60, 'Nothing to show');
  const max = maxValue ?? Math.max(0, ...items.map((it) => Number(it.value) || 0));
  const labelSpace = Math.min(Math.ceil(Math.max(...items.map((it) => textWidth(it.label, 12)))) + 12, Math.floor(width * maxLabel));
  const valueSpace = Math.ceil(Math.max(...items.map((it) => textWidth(format(it.value), 11)))) + 10;
  const plotW = Math.max(40, width - labelSpace - valueSpace);
  const height = items.length * (barHeight + gap) + gap;
  const svg = svgRoot(width, height, label, 'chart-bars');
  items.forEach((it, i) => {
    const yTop = gap + i * (barHeight + gap);
    const v = Number(it.value) || 0;
    const w = max > 0 ? Math.max(v > 0 ? 2 : 1, (v / max) * plotW) : 1;
    const row = it.href ? s('a', {href: it.href, class: 'bar-link'}) : s('g', {class: 'bar-row'});
    row.append(s('rect', {class: 'hit', x: 0, y: yTop - gap / 2, width, height: barHeight + gap, fill: 'transparent'}));
    row.append(text(labelSpace - 8, yTop + barHeight / 2, fitText(it.label, labelSpace - 10, 12),
      {'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'bar-label'}));
    row.append(s('rect', {
      class: 'bar', x: labelSpace, y: yTop, width: w.toFixed(1), height: barHeight, rx: 2,
      fill: it.color || color(0), 'data-value': it.value ?? 0, ...(it.attrs || {}),
    }, title(it.title || `${it.label}: ${format(it.value)}`)));
    row.append(text(labelSpace + w + 5, yTop + barHeight / 2, format(it.value),
      {'dominant-baseline': 'middle', class: 'bar-value'}));
    svg.append(row);
  });
  return svg;
}

/** Vertical column chart. items: [{label, value, title, color, attrs}]. */
export function columnChart({items, width = 500, height = 200, format = fmtNum, unit = '', label}) {
  width = Math.max(220, Math.floor(width));
  if (!items || items.length === 0) return emptyChart(width, height, 'Nothing to show');
  const max = Math.max(0, ...items.map((it) => Number(it.value) || 0));
  const ticks = niceTicks(max, 4);
  const top = ticks[ticks.length - 1] || 1;
  const left = Math.ceil(Math.max(...ticks.map((t) => textWidth(format(t), 11)))) + 10;
  const right = 10;
  const topPad = 12;
  const bottom = 24;
  const plotW = width - left - right;
  const plotH = height - topPad - bottom;
  const step = plotW / items.length;
  const barW = Math.max(2, Math.min(48, step * 0.7));
  const y = (v) => topPad + plotH - (v / top) * plotH;
  const svg = svgRoot(width, height, label, 'chart-columns');
  const grid = s('g', {class: 'grid'});
  for (const t of ticks) {
    grid.append(s('line', {x1: left, x2: width - right, y1: y(t), y2: y(t)}));
    grid.append(text(left - 6, y(t), format(t), {'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick'}));
  }
  svg.append(grid);
  // Labels under the columns: every k-th so they do not overlap.
  const labelW = Math.max(...items.map((it) => textWidth(it.label, 11))) + 6;
  const every = Math.max(1, Math.ceil(labelW / step));
  items.forEach((it, i) => {
    const v = Number(it.value) || 0;
    const cx = left + step * i + step / 2;
    const yv = y(v);
    const hgt = Math.max(v > 0 ? 2 : 1, topPad + plotH - yv);
    svg.append(s('rect', {
      class: 'bar', x: (cx - barW / 2).toFixed(1), y: (topPad + plotH - hgt).toFixed(1), width: barW.toFixed(1), height: hgt.toFixed(1),
      rx: 2, fill: it.color || color(0), 'data-value': it.value ?? 0, ...(it.attrs || {}),
    }, title(it.title || `${it.label}: ${format(it.value)}${unit}`)));
    if (i % every === 0) svg.append(text(cx, height - 8, it.label, {'text-anchor': 'middle', class: 'tick'}));
  });
  svg.append(s('line', {class: 'axis-line', x1: left, x2: width - right, y1: topPad + plotH, y2: topPad + plotH}));
  return svg;
}

/**
 * Heat grid: rows x cols of values. value(r, c) -> number or null (no cell); title(r, c, v);
 * attrs(r, c, v) for extra attributes on the cell.
 */
export function heatGrid({rows, cols, value, title: cellTitle, attrs, width = 500, cellHeight = 30, xTitle, yTitle, format = fmtNum, label}) {
  width = Math.max(260, Math.floor(width));
  const left = Math.ceil(Math.max(...rows.map((r) => textWidth(r, 12)))) + (yTitle ? 30 : 12);
  const topPad = Math.ceil(xTitle ? 38 : 22);
  const right = 6;
  const cellW = Math.min(96, (width - left - right) / cols.length);
  const gridW = cellW * cols.length;
  const height = topPad + rows.length * cellHeight + 6;
  const values = rows.map((_, r) => cols.map((_c, c) => value(r, c)));
  const max = Math.max(0, ...values.flat().filter((v) => v !== null && v !== undefined).map(Number));
  const svg = svgRoot(left + gridW + right, height, label, 'chart-heat');
  if (xTitle) svg.append(text(left + gridW / 2, 12, xTitle, {'text-anchor': 'middle', class: 'axis-title'}));
  if (yTitle) {
    svg.append(text(12, topPad + (rows.length * cellHeight) / 2, yTitle,
      {'text-anchor': 'middle', class: 'axis-title', transform: `rotate(-90 12 ${topPad + (rows.length * cellHeight) / 2})`}));
  }
  cols.forEach((c, ci) => {
    svg.append(text(left + ci * cellW + cellW / 2, topPad - 7, fitText(c, cellW - 4, 11), {'text-anchor': 'middle', class: 'tick'}));
  });
  rows.forEach((r, ri) => {
    svg.append(text(left - 8, topPad + ri * cellHeight + cellHeight / 2, r, {'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick'}));
    cols.forEach((c, ci) => {
      const v = values[ri][ci];
      const x0 = left + ci * cellW;
      const y0 = topPad + ri * cellHeight;
      if (v === null || v === undefined) {
        svg.append(s('rect', {x: x0 + 1, y: y0 + 1, width: cellW - 2, height: cellHeight - 2, class: 'cell-none'}));
        return;
      }
      const t = max > 0 ? Number(v) / max : 0;
      svg.append(s('rect', {
        class: 'cell', x: x0 + 1, y: y0 + 1, width: cellW - 2, height: cellHeight - 2, rx: 2, fill: heatColor(t),
        'data-value': v, ...(attrs ? attrs(ri, ci, v) : {}),
      }, title(cellTitle ? cellTitle(ri, ci, v) : `${r} × ${c}: ${format(v)}`)));
      const shown = format(v);
      if (textWidth(shown, 11) < cellW - 6) {
        svg.append(text(x0 + cellW / 2, y0 + cellHeight / 2, shown,
          {'text-anchor': 'middle', 'dominant-baseline': 'middle', class: 'cell-label', fill: heatText(t)}));
      }
    });
  });
  return svg;
}

/**
 * The RFM map: a 5 x 5 grid, R (recency score) 1..5 left to right, FM 1..5 bottom to top. cells:
 * [{segment, name, r: [lo, hi], fm: [lo, hi], count}] (the first region holding a square owns
 * it); each square is colored by its region's count; each region is labeled once (name, count).
 */
export function rfmGrid({cells, width = 520, href, label}) {
  width = Math.max(300, Math.floor(width));
  const left = 46;
  const bottom = 40;
  const topPad = 6;
  const size = Math.floor(Math.min(108, (width - left - 8) / 5));
  const gridW = size * 5;
  const height = topPad + gridW + bottom;
  const svg = svgRoot(left + gridW + 8, height, label || 'RFM map', 'chart-rfm');
  const owner = [];
  for (let r = 1; r <= 5; r++) {
    owner[r] = [];
    for (let fm = 1; fm <= 5; fm++) {
      owner[r][fm] = cells.findIndex((c) => r >= c.r[0] && r <= c.r[c.r.length - 1] && fm >= c.fm[0] && fm <= c.fm[c.fm.length - 1]);
    }
  }
  const max = Math.max(0, ...cells.map((c) => Number(c.count) || 0));
  const sx = (r) => left + (r - 1) * size;
  const sy = (fm) => topPad + (5 - fm) * size;

  const squares = s('g', {class: 'rfm-squares'});
  for (let r = 1; r <= 5; r++) {
    for (let fm = 1; fm <= 5; fm++) {
      const i = owner[r][fm];
      if (i < 0) {
        squares.append(s('rect', {x: sx(r), y: sy(fm), width: size, height: size, class: 'cell-none'},
          title(`R${r} · FM${fm}: no segment`)));
        continue;
      }
      const c = cells[i];
      const rect = s('rect', {
        class: 'cell', x: sx(r), y: sy(fm), width: size, height: size, fill: heatColor(max > 0 ? c.count / max : 0),
        'data-cell': c.name, 'data-count': c.count, 'data-value': c.count, 'data-segment': c.segment, 'data-r': r, 'data-fm': fm,
      }, title(`${c.name} (${c.segment})\nR ${r} · FM ${fm}\n${fmtNum(c.count)} customers`));
      squares.append(href ? s('a', {href: href(c), class: 'cell-link'}, rect) : rect);
    }
  }
  svg.append(squares);

  // Region borders: an edge between squares of different owners.
  const borders = s('g', {class: 'rfm-borders'});
  const line = (x1, y1, x2, y2) => borders.append(s('line', {x1, y1, x2, y2}));
  for (let r = 1; r <= 5; r++) {
    for (let fm = 1; fm <= 5; fm++) {
      if (r < 5 && owner[r][fm] !== owner[r + 1][fm]) line(sx(r + 1), sy(fm), sx(r + 1), sy(fm) + size);
      if (fm < 5 && owner[r][fm] !== owner[r][fm + 1]) line(sx(r), sy(fm), sx(r) + size, sy(fm));
    }
  }
  svg.append(borders);

  // One label per region, at the center of the largest rectangle of squares it owns.
  const labels = s('g', {class: 'rfm-labels'});
  cells.forEach((c, i) => {
    const box = largestRectangle(owner, i);
    if (!box) return;
    const t = max > 0 ? c.count / max : 0;
    const boxW = (box.r1 - box.r0 + 1) * size;
    const boxH = (box.fm1 - box.fm0 + 1) * size;
    const cx = sx(box.r0) + boxW / 2;
    const cy = sy(box.fm1) + boxH / 2;
    const lines = wrapName(c.name, boxW - 10, 11);
    const all = [...lines, fmtNum(c.count)];
    const lineH = 13;
    const y0 = cy - ((all.length - 1) * lineH) / 2;
    const g = s('text', {class: 'rfm-label', 'text-anchor': 'middle', fill: heatText(t), 'data-region': c.name});
    all.forEach((content, k) => {
      g.append(s('tspan', {x: cx, y: (y0 + k * lineH).toFixed(1), 'dominant-baseline': 'middle',
        class: k === all.length - 1 ? 'rfm-count' : 'rfm-name'}, content));
    });
    labels.append(g);
  });
  svg.append(labels);

  const axes = s('g', {class: 'axis'});
  for (let r = 1; r <= 5; r++) axes.append(text(sx(r) + size / 2, topPad + gridW + 14, String(r), {'text-anchor': 'middle', class: 'tick'}));
  for (let fm = 1; fm <= 5; fm++) axes.append(text(left - 10, sy(fm) + size / 2, String(fm), {'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick'}));
  axes.append(text(left + gridW / 2, height - 6, 'Recency score R (5 = most recent) →', {'text-anchor': 'middle', class: 'axis-title'}));
  const mid = topPad + gridW / 2;
  axes.append(text(14, mid, 'Frequency + monetary FM →', {'text-anchor': 'middle', class: 'axis-title', transform: `rotate(-90 14 ${mid})`}));
  svg.append(axes);
  return svg;
}

function largestRectangle(owner, i) {
  let best = null;
  for (let r0 = 1; r0 <= 5; r0++) {
    for (let r1 = r0; r1 <= 5; r1++) {
      for (let f0 = 1; f0 <= 5; f0++) {
        for (let f1 = f0; f1 <= 5; f1++) {
          let all = true;
          for (let r = r0; r <= r1 && all; r++) for (let f = f0; f <= f1 && all; f++) all = owner[r][f] === i;
          const area = (r1 - r0 + 1) * (f1 - f0 + 1);
          if (all && (!best || area > best.area)) best = {r0, r1, fm0: f0, fm1: f1, area};
        }
      }
    }
  }
  return best;
}

/** A segment name on as few lines as fit the width, broken after dashes. */
function wrapName(name, width, size) {
  if (textWidth(name, size, '600') <= width) return [name];
  const parts = name.split(/(?<=-)/);
  const lines = [];
  let current = '';
  for (const part of parts) {
    if (current && textWidth(current + part, size, '600') > width) {
      lines.push(current);
      current = part;
    } else {
      current += part;
    }
  }
  if (current) lines.push(current);
  return lines.map((l) => fitText(l, width, size, '600'));
}

/**
 * Horizontal flow bars between stages: flows [{from, to, value, title, color}]. Each bar has
 * data-flow="from->to" and data-value.
 */
export function flowBars({flows, width = 500, format = fmtNum, label}) {
  return barChart({
    width, format, label, maxLabel: 0.5,
    items: flows.map((f) => ({
      label: `${f.from} → ${f.to}`, value: f.value, color: f.color, title: f.title,
      attrs: {'data-flow': `${f.from}->${f.to}`, 'data-from': f.from, 'data-to': f.to},
    })),
  });
}

/**
 * Paired bars per row (the segment's share and everyone's share): rows [{label, a, b, aTitle,
 * bTitle, note}], values 0..1; note is shown right of the bars (the lift).
 */
export function compareBars({rows, width = 520, aColor = '#2563eb', bColor = '#cbd5e1', format, label}) {
  width = Math.max(260, Math.floor(width));
  if (!rows || rows.length === 0) return emptyChart(width, 60, 'Nothing to show');
  const fmt = format || ((v) => `${(v * 100).toFixed(1)} %`);
  const labelSpace = Math.min(Math.ceil(Math.max(...rows.map((r) => textWidth(r.label, 12)))) + 12, Math.floor(width * 0.42));
  const noteSpace = Math.ceil(Math.max(...rows.map((r) => textWidth(r.note || '', 11, '600')))) + 12;
  const valueSpace = Math.ceil(textWidth('100.0 %', 11)) + 8;
  const plotW = Math.max(40, width - labelSpace - noteSpace - valueSpace);
  const max = Math.max(0.0001, ...rows.flatMap((r) => [r.a, r.b]).map(Number).filter(Number.isFinite));
  const rowH = 30;
  const height = rows.length * rowH + 6;
  const svg = svgRoot(width, height, label, 'chart-compare');
  rows.forEach((row, i) => {
    const y0 = 4 + i * rowH;
    const g = s('g', {class: 'compare-row'});
    const rowLabel = text(labelSpace - 8, y0 + 11, fitText(row.label, labelSpace - 10, 12), {'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'bar-label'});
    rowLabel.append(title(row.label));
    g.append(rowLabel);
    const aw = Math.max(1, (row.a / max) * plotW);
    const bw = Math.max(1, (row.b / max) * plotW);
    g.append(s('rect', {class: 'bar bar-a', x: labelSpace, y: y0 + 3, width: aw.toFixed(1), height: 12, rx: 2, fill: aColor, 'data-value': row.a, 'data-series': 'segment'},
      title(row.aTitle || `${row.label}: ${fmt(row.a)}`)));
    g.append(s('rect', {class: 'bar bar-b', x: labelSpace, y: y0 + 17, width: bw.toFixed(1), height: 6, rx: 1, fill: bColor, 'data-value': row.b, 'data-series': 'everyone'},
      title(row.bTitle || `${row.label} (everyone): ${fmt(row.b)}`)));
    g.append(text(labelSpace + aw + 5, y0 + 9, fmt(row.a), {'dominant-baseline': 'middle', class: 'bar-value'}));
    if (row.note) g.append(text(width - 4, y0 + 11, row.note, {'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'bar-note'}));
    svg.append(g);
  });
  return svg;
}

/** Draws a chart into a container at the container's width: build(width) -> svg. */
export function mount(container, build) {
  const width = container.clientWidth || container.getBoundingClientRect().width || 600;
  const svg = build(Math.max(240, width - 2));
  container.replaceChildren(svg);
  return svg;
}

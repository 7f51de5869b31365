// A segment: its count, size trend, definition, members (paged, CSV export) and what its
// members share.

import {api, seg, isAborted} from '../api.js';
import {h, fill, card, errorBox, loading, note, fmtNum, fmtDate, lastDay, timeEl, facts, customerLink, periodInstants, badge, now} from '../dom.js';
import {lineChart, compareBars, mount, color} from '../charts.js';
import {period} from '../state.js';

export async function render(ctx, id) {
  const {view} = ctx;
  ctx.setTitle(`Segment ${id}`);
  fill(view, loading(`Loading ${id}…`));
  let detail;
  try {
    detail = await api(`/v1/segments/${seg(id)}`, {signal: ctx.signal});
  } catch (err) {
    if (!ctx.alive() || isAborted(err)) return;
    fill(view, h('h2', {class: 'page-heading'}, id), errorBox(err), h('p', null, h('a', {href: '#/'}, 'Back to the overview')));
    return;
  }
  if (!ctx.alive()) return;

  const trendBox = h('div', {'data-chart': 'segment-sizes', class: 'chart-box'}, loading());
  const profileBox = h('div', {'data-chart': 'segment-profile', class: 'chart-box'}, loading('Loading what members share…'));
  const profileSub = h('span', null, 'Attributes members have more often than everyone (lift)');
  const members = membersPanel(ctx, id);

  fill(view,
    h('div', {class: 'page-head'},
      h('div', null,
        h('div', {class: 'crumbs'}, h('a', {href: '#/'}, 'Overview'), ' / ', detail.family),
        h('h2', {class: 'page-heading', id: 'segment-title'}, detail.id || id)),
      h('div', {class: 'kpi'},
        h('div', {class: 'kpi-label'}, 'Members'),
        h('div', {class: 'kpi-value', id: 'segment-count'}, String(detail.count ?? 0)))),
    facts([
      ['Family', detail.family],
      ['Definition version', String(detail.definitionVersion ?? '—')],
      ['Count updated', timeEl(detail.updatedAt)],
    ], {class: 'facts facts-inline'}),
    h('div', {class: 'grid grid-2'},
      card({title: 'Size trend', subtitle: `${fmtDate(periodSafe().from)} to ${lastDay(periodSafe().to)} (the overview's period)`}, trendBox),
      card({title: 'Definition', subtitle: detail.family === 'custom' ? 'The rule as written' : `The ${detail.family} family's settings`},
        h('pre', {class: 'code', id: 'segment-definition'}, JSON.stringify(detail.definition ?? null, null, 2)))),
    h('div', {class: 'grid grid-2'},
      card({title: 'Members', actions: members.actions}, members.body),
      card({title: 'What members share', subtitle: profileSub}, profileBox)));

  loadTrend(ctx, id, detail.family, trendBox);
  members.start();
  // Not awaited: the profile reads samples of journals and may take a few seconds.
  loadProfile(ctx, id, profileBox, profileSub);
}

function periodSafe() {
  try {
    return periodInstants(period.from, period.to);
  } catch {
    const to = now();
    const from = new Date(to.getTime() - 90 * 864e5);
    return {from: from.toISOString(), to: to.toISOString()};
  }
}

async function loadTrend(ctx, id, family, box) {
  const range = periodSafe();
  try {
    const data = await api('/v1/insights/sizes', {query: {from: range.from, to: range.to, points: 30, family}, signal: ctx.signal});
    if (!ctx.alive()) return;
    const series = (data.series || []).find((sr) => sr.segment === id);
    if (!series) {
      fill(box, note('No size history for this segment.'));
      return;
    }
    mount(box, (width) => lineChart({times: data.times || [], series: [{name: id, color: color(0), values: series.counts || []}], width, height: 220}));
  } catch (err) {
    if (!ctx.alive() || isAborted(err)) return;
    fill(box, errorBox(err));
  }
}

/** The members table with cursor paging (a stack of the cursors before) and CSV export. */
function membersPanel(ctx, id) {
  const pageSize = h('select', {id: 'page-size', 'aria-label': 'Members per page'},
    [25, 50, 100].map((n) => h('option', {value: String(n), selected: n === 25}, String(n))));
  const prev = h('button', {type: 'button', id: 'members-prev', class: 'btn btn-secondary btn-small', disabled: true}, '‹ Previous');
  const next = h('button', {type: 'button', id: 'members-next', class: 'btn btn-secondary btn-small', disabled: true}, 'Next ›');
  const pageLabel = h('span', {id: 'members-page', class: 'pager-label'}, 'page 1');
  const csv = h('button', {type: 'button', id: 'members-csv', class: 'btn btn-secondary btn-small'}, 'Export CSV');
  const csvStatus = h('span', {class: 'muted small', id: 'members-csv-status'});
  const tbody = h('tbody');
  const message = h('div', {class: 'members-message'});
  const tableEl = h('table', {id: 'members', class: 'table table-compact'},
    h('thead', null, h('tr', null, h('th', {class: 'num'}, '#'), h('th', null, 'Customer'))), tbody);

  const state = {limit: 25, page: 1, cursor: null, stack: [], next: null, atEnd: false, busy: false};

  const sync = () => {
    prev.disabled = state.busy || state.page <= 1;
    next.disabled = state.busy || !state.next || state.atEnd;
    pageSize.disabled = state.busy;
    pageLabel.textContent = `page ${state.page}`;
  };

  const fetchPage = (cursor) => api(`/v1/segments/${seg(id)}/members`, {query: {limit: state.limit, cursor}, signal: ctx.signal});

  const show = (data) => {
    const list = data.members || [];
    const offset = (state.page - 1) * state.limit;
    fill(tbody, list.map((m, i) => h('tr', null, h('td', {class: 'num muted'}, String(offset + i + 1)), h('td', null, customerLink(m)))));
    message.replaceChildren();
    if (list.length === 0 && state.page === 1) message.append(note('No members.'));
  };

  const run = async (task) => {
    state.busy = true;
    sync();
    message.replaceChildren();
    try {
      await task();
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      fill(message, errorBox(err));
    } finally {
      state.busy = false;
      if (ctx.alive()) sync();
    }
  };

  const first = () => run(async () => {
    state.page = 1;
    state.cursor = null;
    state.stack = [];
    state.atEnd = false;
    const data = await fetchPage(null);
    if (!ctx.alive()) return;
    state.next = data.nextCursor || null;
    show(data);
  });

  next.addEventListener('click', () => run(async () => {
    if (!state.next) return;
    const data = await fetchPage(state.next);
    if (!ctx.alive()) return;
    if (!data.members || data.members.length === 0) {
      // The cursor pointed past the last member: this page was the last.
      state.atEnd = true;
      fill(message, note('That was the last page.'));
      return;
    }
    state.stack.push(state.cursor);
    state.cursor = state.next;
    state.next = data.nextCursor || null;
    state.page += 1;
    show(data);
  }));

  prev.addEventListener('click', () => run(async () => {
    if (state.page <= 1) return;
    const cursor = state.stack[state.stack.length - 1] ?? null;
    const data = await fetchPage(cursor);
    if (!ctx.alive()) return;
    state.stack.pop();
    state.cursor = cursor;
    state.next = data.nextCursor || null;
    state.atEnd = false;
    state.page -= 1;
    show(data);
  }));

  pageSize.addEventListener('change', () => {
    state.limit = Number(pageSize.value) || 25;
    first();
  });

  csv.addEventListener('click', async () => {
    csv.disabled = true;
    csvStatus.textContent = 'Reading members…';
    try {
      const all = [];
      let cursor = null;
      for (;;) {
        const data = await api(`/v1/segments/${seg(id)}/members`, {query: {limit: 5000, cursor}, signal: ctx.signal});
        const list = data.members || [];
        all.push(...list);
        if (!ctx.alive()) return;
        csvStatus.textContent = `Reading members… ${fmtNum(all.length)}`;
        if (!data.nextCursor || list.length === 0) break;
        cursor = data.nextCursor;
      }
      download(`${id.replace(/[^A-Za-z0-9._-]+/g, '_')}-members.csv`, toCsv(['customerId'], all.map((m) => [m])));
      csvStatus.textContent = `${fmtNum(all.length)} members exported`;
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      csvStatus.textContent = '';
      fill(message, errorBox(err));
    } finally {
      csv.disabled = false;
    }
  });

  const actions = [csvStatus, csv];
  const body = h('div', null,
    h('div', {class: 'pager'},
      h('label', {for: 'page-size', class: 'muted small'}, 'Per page'), pageSize,
      h('span', {class: 'spacer'}),
      prev, pageLabel, next),
    h('div', {class: 'table-wrap'}, tableEl),
    message);
  return {actions, body, start: first};
}

function csvCell(v) {
  const text = String(v ?? '');
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toCsv(header, rows) {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function download(name, text) {
  const blob = new Blob([text], {type: 'text/csv;charset=utf-8'});
  const url = URL.createObjectURL(blob);
  const a = h('a', {href: url, download: name, hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** "What members share": attributes by lift, the segment's share beside everyone's. */
export async function loadProfile(ctx, id, box, subtitle) {
  fill(box, loading('Loading what members share…'));
  let data;
  try {
    data = await api(`/v1/insights/segments/${seg(id)}/profile`, {signal: ctx.signal});
  } catch (err) {
    if (!ctx.alive() || isAborted(err)) return;
    fill(box, errorBox(err));
    return;
  }
  if (!ctx.alive()) return;
  renderProfile(box, data, subtitle, id);
}

/** Draws a profile report into box (used by the segment page and the insights page). */
export function renderProfile(box, data, subtitle, id) {
  const attributes = (data.attributes || []).filter((a) => a.attribute !== `segment:${id}`);
  const sample = data.sample || {};
  if (subtitle) {
    subtitle.textContent = sample.exact
      ? `All ${fmtNum(sample.members)} members compared with all ${fmtNum(sample.population)} customers`
      : `A sample of ${fmtNum(sample.membersSampled)} of ${fmtNum(sample.members)} members compared with ${fmtNum(sample.populationSampled)} of ${fmtNum(sample.population)} customers (95 % intervals in the tooltips)`;
  }
  if (attributes.length === 0) {
    fill(box, note('No attribute stands out (or the segment has too few members).'));
    return;
  }
  const kinds = [...new Set(attributes.map((a) => a.kind))];
  const kind = h('select', {class: 'select-small', 'aria-label': 'Kind of attribute', 'data-role': 'profile-kind'},
    h('option', {value: ''}, 'All kinds'), kinds.map((k) => h('option', {value: k}, k)));
  const limit = h('select', {class: 'select-small', 'aria-label': 'How many'},
    [15, 30, 100].map((n) => h('option', {value: String(n)}, `Top ${n}`)));
  const area = h('div', {class: 'chart-area'});
  const pct = (x) => (x === null || x === undefined ? '?' : `${(x * 100).toFixed(1)} %`);
  const draw = () => {
    const chosen = attributes.filter((a) => !kind.value || a.kind === kind.value)
      .sort((a, b) => (b.lift ?? 0) - (a.lift ?? 0))
      .slice(0, Number(limit.value));
    mount(area, (width) => compareBars({
      width,
      rows: chosen.map((a) => ({
        label: a.kind === 'segment' && a.attribute.startsWith('segment:') ? a.attribute.slice('segment:'.length) : a.attribute,
        a: a.segmentShare, b: a.overallShare,
        note: a.lift === null || a.lift === undefined ? '' : `×${Number(a.lift).toFixed(1)}`,
        aTitle: `${a.attribute} (${a.kind})\nmembers: ${fmtNum(a.inSegment)} = ${pct(a.segmentShare)}`
          + (a.segmentShareLow !== null && a.segmentShareLow !== undefined ? ` [${pct(a.segmentShareLow)}–${pct(a.segmentShareHigh)}]` : '')
          + `\nlift ×${a.lift === null || a.lift === undefined ? '?' : Number(a.lift).toFixed(2)}`,
        bTitle: `${a.attribute} (${a.kind})\neveryone: ${fmtNum(a.overall)} = ${pct(a.overallShare)}`
          + (a.overallShareLow !== null && a.overallShareLow !== undefined ? ` [${pct(a.overallShareLow)}–${pct(a.overallShareHigh)}]` : ''),
      })),
    }));
  };
  kind.addEventListener('change', draw);
  limit.addEventListener('change', draw);
  fill(box,
    h('div', {class: 'chart-tools'}, kind, limit,
      h('span', {class: 'legend legend-inline'},
        h('span', {class: 'swatch', style: {background: '#2563eb'}}), 'members',
        h('span', {class: 'swatch', style: {background: '#cbd5e1'}}), 'everyone',
        h('span', {class: 'muted'}, '×n = lift')),
      sample.exact ? badge('exact', 'ok') : badge('sampled', 'neutral')),
    area);
  draw();
}

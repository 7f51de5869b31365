// Operations: this node, health checks, cluster members and the read side's lag per slice;
// refreshed every 5 s while the page is open.

import {api, isAborted} from '../api.js';
import {h, fill, card, errorBox, loading, note, fmtNum, timeEl, facts, badge, fmtInstant} from '../dom.js';
import {columnChart, mount} from '../charts.js';

const EVERY_MS = 5000;

export async function render(ctx) {
  const {view} = ctx;
  const updated = h('span', {id: 'operations-updated', class: 'muted small'}, '');
  const status = h('div', {id: 'operations-status'});
  const nodeBox = h('div', null, loading());
  const healthBox = h('div', null, loading());
  const readyBadge = h('span');
  const membersBox = h('div', null, loading());
  const lagChart = h('div', {id: 'read-side-lag', 'data-chart': 'read-side-lag', class: 'chart-box'}, loading());
  const lagTable = h('div');

  fill(view,
    h('div', {class: 'toolbar toolbar-plain'}, h('span', {class: 'muted small'}, 'Refreshes every 5 s'), updated),
    status,
    h('div', {class: 'grid grid-2'},
      card({title: 'This node'}, nodeBox),
      card({title: 'Health', actions: readyBadge}, healthBox)),
    card({title: 'Cluster members'}, membersBox),
    card({title: 'Read side lag', subtitle: 'Seconds between the newest event written and the newest processed, per tag slice'}, lagChart, lagTable));

  let timer = null;
  ctx.onCleanup(() => clearTimeout(timer));

  const tick = async () => {
    try {
      const ops = await api('/v1/operations', {signal: ctx.signal});
      if (!ctx.alive()) return;
      status.replaceChildren();
      renderNode(nodeBox, ops.node || {});
      renderHealth(healthBox, readyBadge, ops.health || {});
      renderMembers(membersBox, ops.members || []);
      renderLag(lagChart, lagTable, ((ops.readSide || {}).slices) || []);
      updated.textContent = `· updated ${fmtInstant(new Date())}`;
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      fill(status, errorBox(err));
      // Without /v1/operations the read side's own status still answers the lag.
      if (!healthBox.querySelector('#health-checks')) fill(healthBox, note('Health unavailable.'));
      if (!membersBox.querySelector('#cluster-members')) fill(membersBox, note('Cluster members unavailable.'));
      if (!nodeBox.querySelector('dl')) fill(nodeBox, note('Node details unavailable.'));
      try {
        const rs = await api('/v1/read-side/status', {signal: ctx.signal});
        if (!ctx.alive()) return;
        renderLag(lagChart, lagTable, rs.slices || []);
        updated.textContent = `· updated ${fmtInstant(new Date())} (read-side status only)`;
      } catch (inner) {
        if (!ctx.alive() || isAborted(inner)) return;
        fill(lagChart, errorBox(inner));
      }
    } finally {
      if (ctx.alive()) timer = setTimeout(tick, EVERY_MS);
    }
  };
  await tick();
}

function renderNode(box, node) {
  fill(box, facts([
    ['Address', h('code', null, node.address || '—')],
    ['Roles', (node.roles || []).length ? (node.roles || []).map((r) => badge(r, 'neutral')) : '—'],
    ['Version', node.appVersion || '—'],
  ]));
}

function renderHealth(box, readyBadge, health) {
  const ready = health.ready ?? health.ok;
  fill(readyBadge, ready === undefined ? '' : ready ? badge('ready', 'ok') : badge('not ready', 'bad'));
  const checks = health.checks || [];
  fill(box,
    h('div', {class: 'table-wrap'},
      // No header row: every row of the table is a check.
      h('table', {id: 'health-checks', class: 'table table-compact table-lined'},
        h('tbody', null, checks.map((c) => h('tr', {'data-check': c.name, 'data-ok': String(!!c.ok), class: c.ok ? null : 'row-bad'},
          h('td', null, c.name),
          h('td', null, c.ok ? badge('ok', 'ok') : badge('failing', 'bad')),
          h('td', {class: 'muted'}, c.detail || '')))))),
    checks.length ? null : note('No checks reported.'));
}

function renderMembers(box, members) {
  fill(box,
    h('div', {class: 'table-wrap'},
      h('table', {id: 'cluster-members', class: 'table table-compact'},
        h('thead', null, h('tr', null, ['Address', 'Status', 'Roles', 'Reachable', 'Leader', ''].map((t) => h('th', null, t)))),
        h('tbody', null, members.map((m) => h('tr', {'data-address': m.address, class: m.reachable === false ? 'row-bad' : null},
          h('td', null, h('code', null, m.address)),
          h('td', null, badge(m.status || '?', m.status === 'Up' ? 'ok' : 'warn')),
          h('td', null, (m.roles || []).join(', ') || '—'),
          h('td', null, m.reachable === false ? badge('unreachable', 'bad') : badge('reachable', 'ok')),
          h('td', null, m.leader ? badge('leader', 'info') : ''),
          h('td', null, m.self ? badge('this node', 'neutral') : '')))))),
    members.length ? null : note('No members reported.'));
}

function lagSeconds(sl) {
  if (typeof sl.lagSeconds === 'number') return sl.lagSeconds;
  if (typeof sl.lagMillis === 'number') return sl.lagMillis / 1000;
  return 0;
}

function renderLag(chartBox, tableBox, slices) {
  const sorted = [...slices].sort((a, b) => a.slice - b.slice);
  if (sorted.length === 0) {
    fill(chartBox, note('No slice has been processed yet.'));
    tableBox.replaceChildren();
    return;
  }
  mount(chartBox, (width) => columnChart({
    width, height: 200, unit: ' s', format: (v) => (v >= 100 ? fmtNum(Math.round(v)) : fmtNum(Number(v.toFixed(2)))),
    items: sorted.map((sl) => {
      const lag = lagSeconds(sl);
      return {
        label: String(sl.slice), value: lag, color: lag > 60 ? '#dc2626' : lag > 10 ? '#d97706' : '#2563eb',
        title: `slice ${sl.slice}: ${lag.toFixed(2)} s behind; ${fmtNum(sl.processed)} processed`,
        attrs: {'data-slice': sl.slice},
      };
    }),
  }));
  const wasOpen = !!(tableBox.querySelector('details') || {}).open;
  fill(tableBox, h('details', {class: 'details', open: wasOpen},
    h('summary', null, `Slices (${sorted.length})`),
    h('div', {class: 'table-wrap'},
      h('table', {class: 'table table-compact', id: 'read-side-slices'},
        h('thead', null, h('tr', null, ['Slice', 'Lag', 'Last written', 'Last processed', 'Processed'].map((t) => h('th', null, t)))),
        h('tbody', null, sorted.map((sl) => h('tr', null,
          h('td', null, String(sl.slice)),
          h('td', {class: 'num'}, `${lagSeconds(sl).toFixed(2)} s`),
          h('td', null, timeEl(sl.lastWrittenAt)),
          h('td', null, timeEl(sl.lastProcessedAt)),
          h('td', {class: 'num'}, fmtNum(sl.processed)))))))));
}

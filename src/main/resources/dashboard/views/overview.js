// Overview: segment sizes over a period per family, current counts, the RFM map and the
// journey's flows between the same two dates.

import {api, isAborted} from '../api.js';
import {h, fill, card, errorBox, loading, fmtNum, fmtDate, lastDay, periodInstants, segmentHref, note} from '../dom.js';
import {lineChart, barChart, rfmGrid, flowBars, mount, color} from '../charts.js';
import {period, segmentList, families} from '../state.js';
import {flowColor, FLOW_LEGEND} from './journey-common.js';

export async function render(ctx) {
  const {view} = ctx;
  const fromInput = h('input', {type: 'date', id: 'period-from', value: period.from});
  const toInput = h('input', {type: 'date', id: 'period-to', value: period.to});
  const apply = h('button', {type: 'submit', id: 'period-apply', class: 'btn btn-primary'}, 'Apply');
  const periodError = h('div', {class: 'toolbar-error'});
  const toolbar = h('form', {class: 'toolbar', autocomplete: 'off'},
    h('div', {class: 'field'}, h('label', {for: 'period-from'}, 'From'), fromInput),
    h('div', {class: 'field'}, h('label', {for: 'period-to'}, 'To'), toInput),
    apply,
    h('span', {class: 'toolbar-hint'}, 'Sizes and journey flows over this period; counts are current.'),
    periodError);

  const rfmBox = h('div', {'data-chart': 'rfm', class: 'chart-box'}, loading());
  const flowBox = h('div', {'data-chart': 'journey-flow', class: 'chart-box'}, loading());
  const flowSub = h('span', null, '');
  const familiesBox = h('div', {class: 'family-grid'}, loading('Loading segments…'));

  fill(view,
    toolbar,
    h('div', {class: 'grid grid-2'},
      card({title: 'RFM map', subtitle: 'Customers per region of recency (R) × frequency + monetary (FM) scores; click a region for its segment'}, rfmBox),
      card({title: 'Journey flows', subtitle: flowSub,
        actions: h('a', {href: '#/journey', class: 'btn btn-secondary btn-small'}, 'Journey details')},
      flowBox, legendRow(FLOW_LEGEND))),
    h('h2', {class: 'section-title'}, 'Segments by family'),
    familiesBox);

  // Segments (families and current counts), then what depends on the period.
  let segments = [];
  let familyBoxes = new Map();
  try {
    segments = (await segmentList(api, ctx.signal)).segments || [];
  } catch (err) {
    if (!ctx.alive() || isAborted(err)) return;
    fill(familiesBox, errorBox(err));
  }
  if (!ctx.alive()) return;
  if (segments.length) familyBoxes = renderFamilies(familiesBox, segments);

  const load = () => {
    periodError.replaceChildren();
    let range;
    try {
      range = periodInstants(fromInput.value, toInput.value);
    } catch (err) {
      fill(periodError, errorBox(err));
      return;
    }
    period.from = fromInput.value;
    period.to = toInput.value;
    flowSub.textContent = `Stage to stage moves from ${fmtDate(range.from)} to ${lastDay(range.to)} (recorded transitions)`;
    loadSizes(ctx, range, familyBoxes);
    loadFlows(ctx, range, flowBox);
  };
  toolbar.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  loadRfm(ctx, rfmBox);
  load();
}

function legendRow(items) {
  return h('ul', {class: 'legend legend-inline'}, items.map(([label, c]) =>
    h('li', null, h('span', {class: 'swatch', style: {background: c}}), label)));
}

/** A card per family: sizes over the period (with legend) beside current counts. */
function renderFamilies(container, segments) {
  const boxes = new Map();
  fill(container, families(segments).map((family) => {
    const members = segments.filter((sg) => sg.family === family);
    const colors = new Map(members.map((sg, i) => [sg.id, color(i)]));
    const sizesArea = h('div', {class: 'chart-area'}, loading());
    const legend = h('ul', {class: 'legend'});
    const sizes = h('div', {'data-chart': `sizes-${family}`, class: 'chart-box'}, sizesArea, legend);
    const counts = h('div', {'data-chart': `counts-${family}`, class: 'chart-box'});
    const total = members.reduce((a, sg) => a + (Number(sg.count) || 0), 0);
    const el = card({title: family, subtitle: `${members.length} segments · ${fmtNum(total)} memberships now`, cls: 'family-card',
      attrs: {'data-family': family}},
    h('div', {class: 'family-body'},
      h('div', {class: 'family-sizes'}, h('h3', {class: 'mini-title'}, 'Size over the period'), sizes),
      h('div', {class: 'family-counts'}, h('h3', {class: 'mini-title'}, 'Members now'), counts)));
    boxes.set(family, {sizesArea, legend, colors, members, el});
    // Counts draw once the card is in the page (they need its width).
    queueMicrotask(() => mount(counts, (width) => barChart({
      width, label: `${family} segment counts`,
      items: members.map((sg) => ({
        label: sg.id.slice(family.length + 1) || sg.id, value: sg.count, href: segmentHref(sg.id), color: colors.get(sg.id),
        title: `${sg.id}: ${fmtNum(sg.count)} members (definition v${sg.definitionVersion})`,
        attrs: {'data-segment': sg.id},
      })),
    })));
    return el;
  }));
  return boxes;
}

async function loadSizes(ctx, range, boxes) {
  for (const box of boxes.values()) fill(box.sizesArea, loading());
  let data;
  try {
    data = await api('/v1/insights/sizes', {query: {from: range.from, to: range.to, points: 30}, signal: ctx.signal});
  } catch (err) {
    if (!ctx.alive() || isAborted(err)) return;
    for (const box of boxes.values()) {
      fill(box.sizesArea, errorBox(err));
      box.legend.replaceChildren();
    }
    return;
  }
  if (!ctx.alive()) return;
  const times = data.times || [];
  for (const [family, box] of boxes) {
    const series = (data.series || []).filter((sr) => (sr.family || sr.segment.split(':')[0]) === family);
    if (series.length === 0) {
      fill(box.sizesArea, note('No size history for this family in the period.'));
      box.legend.replaceChildren();
      continue;
    }
    const lines = series.map((sr, i) => ({
      name: sr.segment, color: box.colors.get(sr.segment) || color(box.members.length + i), values: sr.counts || [],
    }));
    const svg = mount(box.sizesArea, (width) => lineChart({times, series: lines, width, height: 220, label: `${family} segment sizes`}));
    fill(box.legend, lines.map((ln) => {
      const last = ln.values.length ? ln.values[ln.values.length - 1] : null;
      const li = h('li', {'data-series': ln.name},
        h('span', {class: 'swatch', style: {background: ln.color}}),
        h('a', {href: segmentHref(ln.name)}, ln.name.slice(family.length + 1) || ln.name),
        h('span', {class: 'legend-value'}, fmtNum(last)));
      li.addEventListener('mouseenter', () => highlight(svg, ln.name));
      li.addEventListener('mouseleave', () => highlight(svg, null));
      return li;
    }));
  }
}

function highlight(svg, name) {
  svg.classList.toggle('has-focus', !!name);
  for (const g of svg.querySelectorAll('.series')) g.classList.toggle('focus', g.getAttribute('data-series') === name);
}

async function loadRfm(ctx, box) {
  try {
    const data = await api('/v1/insights/rfm', {signal: ctx.signal});
    if (!ctx.alive()) return;
    const cells = (data.cells || []).filter((c) => Array.isArray(c.r) && Array.isArray(c.fm));
    if (cells.length === 0) {
      fill(box, note('No RFM map configured.'));
      return;
    }
    mount(box, (width) => rfmGrid({cells, width: Math.min(width, 600), href: (c) => segmentHref(c.segment)}));
  } catch (err) {
    if (!ctx.alive() || isAborted(err)) return;
    fill(box, errorBox(err));
  }
}

async function loadFlows(ctx, range, box) {
  fill(box, loading());
  try {
    const data = await api('/v1/insights/journey', {query: {from: range.from, to: range.to, source: 'transitions'}, signal: ctx.signal});
    if (!ctx.alive()) return;
    const stages = (data.stages || []).map((st) => st.stage);
    const flows = (data.flows || []).map((f) => ({
      from: f.from, to: f.to, value: f.moves, color: flowColor(f, stages),
      title: `${f.from} → ${f.to}: ${fmtNum(f.moves)} moves by ${fmtNum(f.customers)} customers`,
    }));
    if (flows.length === 0) {
      fill(box, note('No journey moves in this period.'));
      return;
    }
    mount(box, (width) => flowBars({flows, width, label: 'journey flows'}));
  } catch (err) {
    if (!ctx.alive() || isAborted(err)) return;
    fill(box, errorBox(err));
  }
}

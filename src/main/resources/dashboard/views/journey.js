// Journey: flows between stages over a period, conversion, time in stage, stalls and cohorts.

import {api, isAborted} from '../api.js';
import {h, fill, card, errorBox, loading, note, fmtNum, fmtPct, fmtDays, fmtDate, lastDay, periodInstants, facts, table} from '../dom.js';
import {flowBars, heatGrid, barChart, mount, heatColor} from '../charts.js';
import {period, segmentList, families} from '../state.js';
import {flowColor, FLOW_LEGEND, START, LEFT, LAPSED} from './journey-common.js';

export async function render(ctx) {
  const {view} = ctx;
  const from = h('input', {type: 'date', id: 'journey-from', value: period.from});
  const to = h('input', {type: 'date', id: 'journey-to', value: period.to});
  const segment = h('select', {id: 'journey-segment'}, h('option', {value: ''}, 'All customers'));
  const horizon = h('select', {id: 'journey-horizon'},
    h('option', {value: ''}, 'Default'), ['7d', '14d', '30d', '60d', '90d'].map((d) => h('option', {value: d}, d)));
  const source = h('select', {id: 'journey-source'},
    h('option', {value: 'transitions'}, 'Recorded transitions'), h('option', {value: 'journals'}, 'Derived from journals (slow)'));
  const apply = h('button', {type: 'submit', id: 'journey-apply', class: 'btn btn-primary'}, 'Apply');
  const formError = h('div', {class: 'toolbar-error'});
  const form = h('form', {class: 'toolbar', autocomplete: 'off'},
    field('From', from), field('To', to), field('Segment', segment), field('Horizon', horizon), field('Source', source), apply, formError);
  const body = h('div', {class: 'journey-body'});
  fill(view, form, body);

  segmentList(api, ctx.signal).then((data) => {
    if (!ctx.alive()) return;
    const list = data.segments || [];
    for (const family of families(list)) {
      segment.append(h('optgroup', {label: family}, list.filter((sg) => sg.family === family).map((sg) => h('option', {value: sg.id}, sg.id))));
    }
  }).catch(() => {
    // the picker stays with "All customers"; the report shows errors
  });

  const load = async () => {
    formError.replaceChildren();
    let range;
    try {
      range = periodInstants(from.value, to.value);
    } catch (err) {
      fill(formError, errorBox(err));
      return;
    }
    period.from = from.value;
    period.to = to.value;
    apply.disabled = true;
    fill(body, loading('Computing the journey…'));
    try {
      const report = await api('/v1/insights/journey', {
        query: {from: range.from, to: range.to, segment: segment.value, horizon: horizon.value, source: source.value}, signal: ctx.signal,
      });
      if (!ctx.alive()) return;
      renderReport(body, report, segment.value);
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      fill(body, errorBox(err));
    } finally {
      apply.disabled = false;
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  await load();
}

function field(label, input) {
  return h('div', {class: 'field'}, h('label', {for: input.id}, label), input);
}

function renderReport(body, r, segment) {
  const stageTimes = r.stages || [];
  const stages = stageTimes.map((st) => st.stage);
  const flows = r.flows || [];
  const flowsBox = h('div', {'data-chart': 'journey-flows', class: 'chart-box'});
  const matrixBox = h('div', {'data-chart': 'journey-matrix', class: 'chart-box'});
  const conversionBox = h('div', {'data-chart': 'journey-conversions', class: 'chart-box'});
  const byStage = new Map(stageTimes.map((st) => [st.stage, st]));

  fill(body,
    facts([
      ['Period', `${fmtDate(r.from)} to ${lastDay(r.to)}`],
      ['Customers', fmtNum(r.customers)],
      ['Conversion horizon', r.horizonDays === null || r.horizonDays === undefined ? '—' : `${fmtNum(r.horizonDays)} days`],
      ['Scope', segment || 'all customers'],
    ], {class: 'facts facts-inline'}),
    h('div', {class: 'grid grid-2'},
      card({title: 'Flows', subtitle: 'Moves from stage to stage in the period'}, flowsBox,
        h('ul', {class: 'legend legend-inline'}, FLOW_LEGEND.map(([l, c]) => h('li', null, h('span', {class: 'swatch', style: {background: c}}), l)))),
      card({title: 'From × to', subtitle: 'Moves by the stage left (rows) and entered (columns)'}, matrixBox)),
    h('div', {class: 'grid grid-2'},
      card({title: 'Conversion', subtitle: 'Stays begun in the period that reached the next stage within the horizon'},
        conversionBox,
        table({
          id: 'conversions', cls: 'table-compact',
          head: ['Stage', 'Next', {label: 'Entered', attrs: {class: 'num'}}, {label: 'Converted', attrs: {class: 'num'}}, {label: 'Rate', attrs: {class: 'num'}}],
          rows: (r.conversions || []).map((c) => h('tr', {'data-stage': c.stage},
            h('td', null, c.stage), h('td', null, c.next ?? '—'), h('td', {class: 'num'}, fmtNum(c.entered)),
            h('td', {class: 'num'}, fmtNum(c.converted)), h('td', {class: 'num', 'data-value': c.rate ?? ''}, fmtPct(c.rate)))),
          empty: 'No stays began in the period.',
        })),
      card({title: 'Stalls', subtitle: 'Where prospects get stuck: most exits to lapsed first, then the longest median stay'},
        (r.stalls || []).length
          ? h('ol', {id: 'stalls', class: 'stalls'}, r.stalls.map((stage) => {
            const st = byStage.get(stage) || {};
            return h('li', {'data-stage': stage},
              h('strong', null, stage),
              h('span', {class: 'muted'}, ` · ${fmtNum(st.exitsToLapsed)} exits to lapsed (${fmtPct(st.lapsedShare)} of ended stays)`
                + ` · median stay ${fmtDays(st.medianDays)}`));
          }))
          : [h('ol', {id: 'stalls', class: 'stalls'}), note('No stalls in the period.')])),
    card({title: 'Time in stage', subtitle: 'Stays begun in the period: ended (median, 90th percentile of their length) or still open'},
      table({
        id: 'stage-times', cls: 'table-compact',
        head: ['Stage', {label: 'Ended', attrs: {class: 'num'}}, {label: 'Open', attrs: {class: 'num'}}, {label: 'Median', attrs: {class: 'num'}},
          {label: 'p90', attrs: {class: 'num'}}, {label: 'Exits to lapsed', attrs: {class: 'num'}}, {label: 'Lapsed share', attrs: {class: 'num'}}],
        rows: stageTimes.map((st) => h('tr', {'data-stage': st.stage},
          h('td', null, st.stage), h('td', {class: 'num'}, fmtNum(st.completed)), h('td', {class: 'num'}, fmtNum(st.open)),
          h('td', {class: 'num', 'data-value': st.medianDays ?? ''}, fmtDays(st.medianDays)),
          h('td', {class: 'num', 'data-value': st.p90Days ?? ''}, fmtDays(st.p90Days)),
          h('td', {class: 'num'}, fmtNum(st.exitsToLapsed)), h('td', {class: 'num'}, fmtPct(st.lapsedShare)))),
      })),
    card({title: 'Cohorts', subtitle: 'Customers by the week (Monday, UTC) of their first journey entry, and how many reached each stage by the period\'s end'},
      cohortTable(r.cohorts || [], stages)));

  mount(flowsBox, (width) => flows.length
    ? flowBars({
      width,
      flows: flows.map((f) => ({
        from: f.from, to: f.to, value: f.moves, color: flowColor(f, stages),
        title: `${f.from} → ${f.to}: ${fmtNum(f.moves)} moves by ${fmtNum(f.customers)} customers`,
      })),
    })
    : barChart({items: [], width}));

  const rowsAll = [START, ...stages];
  const colsAll = [...stages, LEFT];
  const moves = new Map(flows.map((f) => [`${f.from}->${f.to}`, f]));
  const rows = rowsAll.filter((st) => flows.some((f) => f.from === st));
  const cols = colsAll.filter((st) => flows.some((f) => f.to === st));
  if (rows.length && cols.length) {
    mount(matrixBox, (width) => heatGrid({
      rows, cols, width, xTitle: 'entered →', yTitle: 'left',
      value: (ri, ci) => {
        const f = moves.get(`${rows[ri]}->${cols[ci]}`);
        return f ? f.moves : 0;
      },
      title: (ri, ci, v) => `${rows[ri]} → ${cols[ci]}: ${fmtNum(v)} moves`,
      attrs: (ri, ci) => ({'data-flow': `${rows[ri]}->${cols[ci]}`}),
    }));
  } else {
    fill(matrixBox, note('No moves in the period.'));
  }

  const rated = (r.conversions || []).filter((c) => c.rate !== null && c.rate !== undefined);
  if (rated.length) {
    mount(conversionBox, (width) => barChart({
      width, maxValue: 1, format: (v) => fmtPct(v),
      items: rated.map((c) => ({
        label: `${c.stage} → ${c.next}`, value: c.rate, color: '#0891b2',
        title: `${c.stage} → ${c.next}: ${fmtNum(c.converted)} of ${fmtNum(c.entered)} (${fmtPct(c.rate)})`,
        attrs: {'data-stage': c.stage},
      })),
    }));
  } else {
    fill(conversionBox, note('No conversion to show.'));
  }
}

function cohortTable(cohorts, stages) {
  const shown = stages.filter((st) => st !== LAPSED);
  const keys = [...shown, ...(stages.includes(LAPSED) ? [LAPSED] : [])];
  return table({
    id: 'cohorts', cls: 'table-compact table-cohorts',
    head: ['Week', {label: 'Customers', attrs: {class: 'num'}}, ...keys.map((k) => ({label: k, attrs: {class: 'num'}}))],
    rows: cohorts.map((c) => h('tr', {'data-week': c.week},
      h('td', null, c.week),
      h('td', {class: 'num'}, fmtNum(c.customers)),
      keys.map((k) => {
        const n = (c.reached || {})[k] ?? 0;
        const share = c.customers > 0 ? n / c.customers : 0;
        return h('td', {
          class: 'num heat', 'data-value': n, title: `${c.week}: ${fmtNum(n)} of ${fmtNum(c.customers)} reached ${k} (${fmtPct(share)})`,
          style: {background: n > 0 ? heatColor(share) : '', color: share > 0.5 ? '#fff' : ''},
        }, n > 0 ? `${fmtNum(n)} · ${Math.round(share * 100)}%` : '·');
      }))),
    empty: 'No customer entered the journey in the period.',
  });
}


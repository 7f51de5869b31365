// Insights: what a segment's members share, and the propensity ranking (train for admins).

import {api, seg, isAborted} from '../api.js';
import {h, fill, card, errorBox, loading, note, fmtNum, fmtPct, timeEl, facts, customerLink, badge} from '../dom.js';
import {segmentList, families} from '../state.js';
import {renderProfile} from './segment.js';

const DEFAULT_TARGET = 'loyalty:loyal';

export async function render(ctx) {
  const {view} = ctx;
  const picker = h('select', {id: 'insight-segment', 'aria-label': 'Segment'}, h('option', {value: DEFAULT_TARGET}, DEFAULT_TARGET));
  const profileBox = h('div', {'data-chart': 'profile', class: 'chart-box'}, loading());
  const profileSub = h('span', null, 'Attributes members have more often than everyone (lift)');

  const target = h('select', {id: 'propensity-target', 'aria-label': 'Target segment'}, h('option', {value: DEFAULT_TARGET}, DEFAULT_TARGET));
  const top = h('select', {id: 'propensity-count', 'aria-label': 'How many'}, [20, 50, 100].map((n) => h('option', {value: String(n)}, `Top ${n}`)));
  const train = h('button', {type: 'button', id: 'propensity-train', class: 'btn btn-primary btn-small', hidden: !ctx.isAdmin}, 'Train');
  const propensityBox = h('div', {id: 'propensity-box'}, loading());
  const trainStatus = h('div', {id: 'propensity-train-status'});

  fill(view,
    card({title: 'What members share', subtitle: profileSub,
      actions: [h('label', {for: 'insight-segment', class: 'muted small'}, 'Segment'), picker]}, profileBox),
    card({title: 'Propensity', subtitle: 'Customers most likely to enter the target segment within the model\'s horizon',
      actions: [h('label', {for: 'propensity-target', class: 'muted small'}, 'Target'), target, top, ctx.isAdmin ? train : null]},
    trainStatus, propensityBox));

  segmentList(api, ctx.signal).then((data) => {
    if (!ctx.alive()) return;
    const list = data.segments || [];
    for (const sel of [picker, target]) {
      const chosen = sel.value;
      sel.replaceChildren();
      for (const family of families(list)) {
        sel.append(h('optgroup', {label: family}, list.filter((sg) => sg.family === family)
          .map((sg) => h('option', {value: sg.id, selected: sg.id === chosen}, `${sg.id} (${fmtNum(sg.count)})`))));
      }
      if (!list.some((sg) => sg.id === chosen)) sel.prepend(h('option', {value: chosen, selected: true}, chosen));
      sel.value = chosen;
    }
  }).catch(() => {
    // the pickers keep the default; the panels show errors
  });

  let profileRun = 0;
  const loadProfile = async () => {
    const run = ++profileRun;
    const id = picker.value;
    fill(profileBox, loading(`Reading ${id}'s members…`));
    try {
      const data = await api(`/v1/insights/segments/${seg(id)}/profile`, {signal: ctx.signal});
      if (!ctx.alive() || run !== profileRun) return;
      renderProfile(profileBox, data, profileSub, id);
    } catch (err) {
      if (!ctx.alive() || isAborted(err) || run !== profileRun) return;
      fill(profileBox, errorBox(err));
    }
  };
  picker.addEventListener('change', loadProfile);

  // Propensity: the ranking, or why there is none; polled while a model trains.
  let poll = null;
  let propensityRun = 0;
  ctx.onCleanup(() => clearTimeout(poll));
  const loadTop = async ({quiet = false} = {}) => {
    const run = ++propensityRun;
    clearTimeout(poll);
    if (!quiet) fill(propensityBox, loading());
    try {
      const data = await api(`/v1/insights/propensity/${seg(target.value)}`, {query: {top: top.value}, signal: ctx.signal});
      if (!ctx.alive() || run !== propensityRun) return;
      renderTop(propensityBox, data);
      if (data.training) {
        fill(trainStatus, h('p', {class: 'info'}, 'A new model is being trained; the ranking updates when it is done.'));
        poll = setTimeout(() => loadTop({quiet: true}), 5000);
      } else if (trainStatus.dataset.waiting === target.value) {
        trainStatus.dataset.waiting = '';
        fill(trainStatus, h('p', {class: 'success'}, 'Training finished.'));
      }
    } catch (err) {
      if (!ctx.alive() || isAborted(err) || run !== propensityRun) return;
      fill(propensityBox, errorBox(err),
        err.status === 404 && ctx.isAdmin && /model/i.test(err.detail || '') ? h('p', {class: 'muted small'}, 'Train a model with the Train button.') : null);
      if (trainStatus.dataset.waiting === target.value) poll = setTimeout(() => loadTop({quiet: true}), 5000);
    }
  };
  target.addEventListener('change', () => {
    trainStatus.replaceChildren();
    trainStatus.dataset.waiting = '';
    loadTop();
  });
  top.addEventListener('change', () => loadTop());
  train.addEventListener('click', async () => {
    train.disabled = true;
    fill(trainStatus, loading('Starting a training…'));
    try {
      const answer = await api(`/v1/insights/propensity/${seg(target.value)}/train`, {method: 'POST', signal: ctx.signal});
      if (!ctx.alive()) return;
      trainStatus.dataset.waiting = target.value;
      fill(trainStatus, h('p', {class: 'info'}, answer && answer.started === false
        ? 'A training for this target is already under way; the ranking updates when it is done.'
        : 'Training started in the background; the ranking updates when it is done.'));
      poll = setTimeout(() => loadTop({quiet: true}), 3000);
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      fill(trainStatus, errorBox(err));
    } finally {
      train.disabled = false;
    }
  });

  loadProfile();
  loadTop();
}

function renderTop(box, data) {
  const model = data.model || {};
  const customers = data.customers || [];
  const max = Math.max(0.0001, ...customers.map((c) => c.probability || 0));
  fill(box,
    facts([
      ['Model', `v${model.version ?? '?'}`],
      ['Trained', timeEl(model.trainedAt)],
      ['Features as of', timeEl(model.featuresAsOf)],
      ['Labels until', timeEl(model.labelsUntil)],
      ['Horizon', model.horizonDays ? `${model.horizonDays} days` : '—'],
      ['Examples', `${fmtNum(model.examples)} (${fmtNum(model.positives)} entered)`],
      ['Scored', fmtNum(model.scored)],
      data.training ? ['Status', badge('training', 'warn')] : null,
    ], {class: 'facts facts-inline'}),
    h('div', {class: 'table-wrap'},
      h('table', {id: 'propensity-top', class: 'table table-compact'},
        h('thead', null, h('tr', null, h('th', {class: 'num'}, '#'), h('th', null, 'Customer'), h('th', null, 'Probability'))),
        h('tbody', null, customers.map((c, i) => h('tr', null,
          h('td', {class: 'num muted'}, String(i + 1)),
          h('td', null, customerLink(c.customerId)),
          h('td', {class: 'prob-cell'},
            h('div', {class: 'prob'},
              h('div', {class: 'prob-bar', 'data-value': c.probability, title: `${c.customerId}: ${fmtPct(c.probability, 2)}`,
                style: {width: `${Math.max(1, (c.probability / max) * 100).toFixed(1)}%`}}),
              h('span', {class: 'prob-text'}, fmtPct(c.probability, 1))))))))),
    customers.length ? null : note('No prospects ranked (everyone may be a member already).'));
}

// Customers: search by id, and a customer's profile (now or as of an instant), segments with the
// values behind them, propensity, and the timeline of events and transitions with their causes.

import {api, seg, isAborted} from '../api.js';
import {h, fill, card, errorBox, loading, note, fmtNum, fmtPct, timeEl, facts, badge, segmentLink, customerHref,
  localInputToInstant, errorText, table} from '../dom.js';

const TARGET = 'loyalty:loyal';

function searchForm(initial = '') {
  const input = h('input', {type: 'search', id: 'customer-search', placeholder: 'Customer id, e.g. 12347', value: initial,
    autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Customer id'});
  const go = h('button', {type: 'submit', id: 'customer-go', class: 'btn btn-primary'}, 'Open');
  const error = h('div', {class: 'toolbar-error'});
  const form = h('form', {class: 'toolbar', autocomplete: 'off', role: 'search'},
    h('div', {class: 'field field-grow'}, h('label', {for: 'customer-search'}, 'Customer'), input), go, error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = input.value.trim();
    if (!id) {
      fill(error, errorBox({detail: 'Enter a customer id'}));
      return;
    }
    location.hash = customerHref(id);
  });
  return {form, input};
}

export async function renderSearch(ctx) {
  const {form, input} = searchForm();
  fill(ctx.view,
    form,
    card({title: 'Find a customer'},
      h('p', null, 'Open a customer by id (a user id or an anonymous id; merged ids answer as the known customer).'),
      h('p', {class: 'muted'}, 'Customers are also linked from every segment\'s member list and from the propensity ranking.')));
  input.focus();
}

export async function renderCustomer(ctx, id) {
  ctx.setTitle(`Customer ${id}`);
  const {form} = searchForm(id);

  const asOf = h('input', {type: 'datetime-local', id: 'as-of', step: '1', 'aria-label': 'As of (local time)'});
  const apply = h('button', {type: 'submit', id: 'as-of-apply', class: 'btn btn-primary btn-small'}, 'Apply');
  const now = h('button', {type: 'button', id: 'as-of-now', class: 'btn btn-secondary btn-small'}, 'Now');
  const asOfError = h('div', {class: 'toolbar-error'});
  const asOfForm = h('form', {class: 'asof', autocomplete: 'off'},
    h('label', {for: 'as-of'}, 'As of'), asOf, apply, now, asOfError);
  const asOfLabel = h('span', {class: 'muted', id: 'as-of-shown'}, '');

  const profileBox = h('div', {id: 'customer-profile'}, loading());
  const segmentsBox = h('div', null, loading());
  const propensityBox = h('div', {id: 'propensity'}, loading());
  const timelineBox = h('div', null, loading('Loading history…'));
  const order = h('select', {id: 'timeline-order', class: 'select-small', 'aria-label': 'Order'},
    h('option', {value: 'asc'}, 'Oldest first'), h('option', {value: 'desc'}, 'Newest first'));
  const timelineSub = h('span', null, 'Events and the segment transitions they caused, in event time');

  fill(ctx.view,
    form,
    h('div', {class: 'page-head'},
      h('div', null,
        h('div', {class: 'crumbs'}, h('a', {href: '#/customers'}, 'Customers')),
        h('h2', {class: 'page-heading'}, 'Customer ', h('span', {id: 'customer-id'}, id)),
        asOfLabel),
      asOfForm),
    profileBox,
    h('div', {class: 'grid grid-2'},
      card({title: 'Segments', subtitle: 'Memberships and the values behind each'}, segmentsBox),
      card({title: `Propensity: ${TARGET}`, subtitle: 'Chance of entering the segment within the model\'s horizon'}, propensityBox)),
    card({title: 'Timeline', subtitle: timelineSub, actions: order}, timelineBox));

  let history = null;
  let shownAsOf = null;

  const loadProfile = async (instant) => {
    fill(profileBox, loading());
    fill(segmentsBox, loading());
    try {
      const profile = await api(`/v1/customers/${seg(id)}`, {query: {asOf: instant}, signal: ctx.signal});
      if (!ctx.alive()) return;
      shownAsOf = instant ? profile.asOf || instant : null;
      fill(asOfLabel, instant ? ['As of ', timeEl(profile.asOf || instant)] : 'Now (current profile)');
      renderProfile(profileBox, profile);
      renderSegments(segmentsBox, profile);
      if (history) drawTimeline();
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      fill(profileBox, errorBox(err));
      segmentsBox.replaceChildren(note(err.status === 404 ? 'No such customer.' : errorText(err)));
    }
  };

  const drawTimeline = () => renderTimeline(timelineBox, history, order.value === 'desc', shownAsOf);

  asOfForm.addEventListener('submit', (e) => {
    e.preventDefault();
    asOfError.replaceChildren();
    let instant = null;
    if (asOf.value) {
      try {
        instant = localInputToInstant(asOf.value);
      } catch (err) {
        fill(asOfError, errorBox(err));
        return;
      }
    }
    loadProfile(instant);
  });
  now.addEventListener('click', () => {
    asOf.value = '';
    asOfError.replaceChildren();
    loadProfile(null);
  });
  order.addEventListener('change', () => history && drawTimeline());

  loadProfile(null);
  loadPropensity(ctx, id, propensityBox);
  try {
    history = await api(`/v1/customers/${seg(id)}/history`, {query: {order: 'event', events: 'true'}, signal: ctx.signal});
    if (!ctx.alive()) return;
    drawTimeline();
  } catch (err) {
    if (!ctx.alive() || isAborted(err)) return;
    fill(timelineBox, errorBox(err));
  }
}

// ---- profile --------------------------------------------------------------------------------

const LABELS = {
  eventCount: 'Events', firstSeenAt: 'First seen', lastSeenAt: 'Last seen', orders: 'Orders', revenue: 'Revenue',
  refunded: 'Refunded', firstOrderAt: 'First order', lastOrderAt: 'Last order', recencyDays: 'Days since last order',
  frequency: 'Frequency (orders)', monetary: 'Monetary (net revenue)',
};

const label = (key) => LABELS[key] || key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

function value(key, v) {
  if (v === null || v === undefined) return '—';
  if (/At$/.test(key) && typeof v === 'string') return timeEl(v);
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function renderProfile(box, p) {
  const rfm = p.rfm || null;
  const purchasing = p.purchasing || null;
  const general = Object.entries(p).filter(([k, v]) =>
    !['customerId', 'asOf', 'purchasing', 'rfm', 'segments', 'memberships', 'aliases'].includes(k) && (v === null || typeof v !== 'object'));
  fill(box,
    h('div', {class: 'grid grid-3'},
      card({title: 'Activity'}, facts(general.map(([k, v]) => [label(k), value(k, v), {'data-fact': k}])),
        p.aliases && p.aliases.length ? h('p', {class: 'small'}, 'Merged ids: ', p.aliases.map((a, i) => [i ? ', ' : '', h('code', null, a)])) : null),
      card({title: 'Purchasing'}, purchasing
        ? facts(Object.entries(purchasing).map(([k, v]) => [label(k), value(k, v), {'data-fact': k}]))
        : note('No purchases.')),
      card({title: 'RFM'}, rfm
        ? [h('div', {class: 'rfm-scores'},
          ['r', 'f', 'm'].map((k) => h('div', {class: 'rfm-score', 'data-fact': `rfm-${k}`},
            h('div', {class: 'rfm-score-value'}, rfm[k] ?? '—'), h('div', {class: 'rfm-score-label'}, k.toUpperCase())))),
        facts(Object.entries(rfm).filter(([k]) => !['r', 'f', 'm'].includes(k)).map(([k, v]) => [label(k), value(k, v)]))]
        : note('No RFM scores (no orders).'))));
}

function renderSegments(box, p) {
  const memberships = p.memberships || (p.segments || []).map((sg) => ({segment: sg, values: {}}));
  if (memberships.length === 0) {
    fill(box, h('ul', {id: 'customer-segments', class: 'seg-list'}), note('In no segment.'));
    return;
  }
  fill(box, h('ul', {id: 'customer-segments', class: 'seg-list'}, memberships.map((m) =>
    h('li', {'data-segment': m.segment},
      h('div', {class: 'seg-list-head'}, segmentLink(m.segment)),
      valuesList(m.values)))));
}

function valuesList(values) {
  const entries = Object.entries(values || {});
  if (entries.length === 0) return null;
  // Spans, not list items: the lists around (segments, timeline) hold one item per entry.
  return h('div', {class: 'kv'}, entries.map(([k, v]) => h('span', {class: 'kv-item', 'data-key': k}, h('span', {class: 'kv-key'}, `${k}:`), ' ',
    h('span', {class: 'kv-value'}, String(v)))));
}

// ---- propensity -----------------------------------------------------------------------------

async function loadPropensity(ctx, id, box) {
  try {
    const score = await api(`/v1/customers/${seg(id)}/propensity`, {query: {target: TARGET}, signal: ctx.signal});
    if (!ctx.alive()) return;
    const model = score.model || {};
    const because = score.because || [];
    fill(box,
      h('div', {class: 'propensity-head'},
        h('div', {class: 'kpi-value', 'data-value': score.probability ?? ''}, score.probability === null || score.probability === undefined ? '—' : fmtPct(score.probability)),
        score.inTarget ? badge('already a member', 'ok') : badge('prospect', 'neutral')),
      facts([
        ['Model', `v${model.version ?? '?'}`],
        ['Trained', timeEl(model.trainedAt)],
        ['Horizon', model.horizonDays ? `${model.horizonDays} days` : '—'],
      ], {class: 'facts facts-inline'}),
      because.length ? table({
        cls: 'table-compact',
        head: ['Feature', {label: 'Value', attrs: {class: 'num'}}, {label: 'Effect', attrs: {class: 'num'}}],
        rows: because.map((c) => h('tr', null,
          h('td', null, c.feature),
          h('td', {class: 'num'}, fmtNum(c.value)),
          h('td', {class: `num ${c.effect >= 0 ? 'pos' : 'neg'}`, 'data-value': c.effect}, `${c.effect >= 0 ? '+' : ''}${Number(c.effect).toFixed(3)}`))),
      }) : null);
  } catch (err) {
    if (!ctx.alive() || isAborted(err)) return;
    if (err.status === 404) {
      fill(box, note(err.detail || 'No propensity model yet.'), h('p', {class: 'small'}, h('a', {href: '#/insights'}, 'Propensity models on the insights page')));
    } else {
      fill(box, errorBox(err));
    }
  }
}

// ---- timeline -------------------------------------------------------------------------------

const NOT_EVENTS = new Set(['time', 'definition', 'merge', 'erasure']);

const CAUSE_TEXT = {
  time: 'time passed (a window edge)',
  definition: 'a definition version was adopted or retired',
  merge: 'identities merged',
  erasure: 'the customer was erased',
};

/**
 * Blocks of the timeline: an event and the transitions it caused, or a lone transition (caused
 * by time, a definition, a merge). The history lists transitions with their cause's trigger (the
 * causing event's message id); when it also lists events they are shown as they are.
 */
function blocks(history) {
  const out = [];
  const given = Array.isArray(history.events) ? history.events : null;
  const byMessage = new Map();
  if (given) {
    for (const e of given) {
      const block = [{kind: 'event', at: e.at, event: e, caused: 0}];
      out.push(block);
      byMessage.set(e.messageId, block);
    }
  }
  let open = null;
  for (const t of history.transitions || []) {
    const trigger = t.cause && t.cause.trigger;
    if (t.direction === 'merged') {
      out.push([{kind: 'event', at: t.at, merge: t}]);
      open = null;
      continue;
    }
    const causedBy = trigger && !NOT_EVENTS.has(trigger) ? byMessage.get(trigger) : null;
    if (causedBy) {
      causedBy[0].caused += 1;
      causedBy.push({kind: 'transition', at: t.at, t});
    } else if (!given && trigger && !NOT_EVENTS.has(trigger)) {
      const key = `${trigger}|${t.at}`;
      if (!open || open.key !== key) {
        open = {key, block: [{kind: 'event', at: t.at, trigger, caused: 0}]};
        out.push(open.block);
      }
      open.block[0].caused += 1;
      open.block.push({kind: 'transition', at: t.at, t});
    } else {
      open = null;
      out.push([{kind: 'transition', at: t.at, t}]);
    }
  }
  // Stable: an event stays ahead of what it caused, time-caused changes fall in place.
  if (given) out.sort((a, b) => new Date(a[0].at) - new Date(b[0].at));
  return out;
}

function renderTimeline(box, history, newestFirst, asOf) {
  const list = blocks(history);
  if (newestFirst) list.reverse();
  const cut = asOf ? new Date(asOf).getTime() : null;
  const items = list.flat();
  const ol = h('ol', {id: 'timeline', class: 'timeline'}, items.map((item) => {
    const later = cut !== null && item.at && new Date(item.at).getTime() > cut;
    return item.kind === 'event' ? eventItem(item, later) : transitionItem(item.t, later);
  }));
  const transitions = items.filter((i) => i.kind === 'transition').length;
  fill(box,
    h('p', {class: 'muted small'}, `${fmtNum(transitions)} transitions, ${fmtNum(items.length - transitions)} `
      + (Array.isArray(history.events) ? 'events' : 'events that changed a membership (the message id is the cause\'s trigger)')
      + (cut !== null ? ' · dimmed: after the as-of instant' : '')),
    items.length ? ol : [ol, note('No history.')]);
}

function eventItem(item, later) {
  const cls = `tl-item tl-event${later ? ' later' : ''}`;
  if (item.merge) {
    const m = item.merge;
    return h('li', {'data-kind': 'event', class: cls, 'data-event': 'merge'},
      h('div', {class: 'tl-time'}, timeEl(m.at)),
      h('div', {class: 'tl-body'},
        h('div', {class: 'tl-line'}, badge('merge', 'warn'), ' Identity merged into this customer ',
          h('span', {class: 'muted'}, 'cause: '), h('span', {class: 'cause'}, (m.cause && m.cause.trigger) || 'merge')),
        valuesList(m.cause && m.cause.values)));
  }
  if (item.event) {
    const e = item.event;
    const name = e.event || e.name || e.type || 'event';
    return h('li', {'data-kind': 'event', class: cls},
      h('div', {class: 'tl-time'}, timeEl(item.at)),
      h('div', {class: 'tl-body'},
        h('div', {class: 'tl-line'}, badge('event', 'info'), ' ', h('strong', null, name),
          e.messageId ? [' ', h('code', {class: 'muted'}, e.messageId)] : null,
          item.caused ? h('span', {class: 'muted'}, ` · caused ${item.caused} transition${item.caused === 1 ? '' : 's'}`) : null),
        valuesList(e.properties && typeof e.properties === 'object' ? flat(e.properties) : null)));
  }
  return h('li', {'data-kind': 'event', class: cls, 'data-trigger': item.trigger},
    h('div', {class: 'tl-time'}, timeEl(item.at)),
    h('div', {class: 'tl-body'},
      h('div', {class: 'tl-line'}, badge('event', 'info'), ' Event ', h('code', null, item.trigger),
        h('span', {class: 'muted'}, ` · caused ${item.caused} transition${item.caused === 1 ? '' : 's'}`))));
}

function flat(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) out[k] = v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
  return out;
}

function transitionItem(t, later) {
  const entered = t.direction === 'entered';
  const direction = entered ? 'entered' : 'left';
  const segment = t.segment || '';
  const plain = segment.split('@')[0];
  const cause = t.cause || {};
  const trigger = cause.trigger || 'unknown';
  return h('li', {'data-kind': 'transition', 'data-direction': direction, 'data-segment': segment,
    class: `tl-item tl-transition tl-${direction}${later ? ' later' : ''}`,
    title: t.recordedAt ? `event time ${t.at}, recorded ${t.recordedAt} (UTC)` : null},
  h('div', {class: 'tl-time'}, timeEl(t.at)),
  h('div', {class: 'tl-body'},
    h('div', {class: 'tl-line'},
      h('span', {class: `direction direction-${direction}`}, direction), ' ',
      plain ? segmentLink(plain) : h('span', null, '—'),
      segment !== plain ? h('span', {class: 'muted'}, ` (${segment})`) : null,
      h('span', {class: 'tl-cause'}, ' cause: ',
        h('span', {class: 'cause', title: CAUSE_TEXT[trigger] || 'the event with this message id'}, trigger),
        cause.ruleVersion ? h('span', {class: 'muted'}, ` · rule v${cause.ruleVersion}`) : null)),
    valuesList(cause.values)));
}

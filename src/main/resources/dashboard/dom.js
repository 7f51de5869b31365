// Small DOM and formatting helpers shared by every view. Elements are built with h(), never
// from HTML strings, so API data is always text.

/**
 * h('a', {href: '#/', class: 'x', 'data-id': 1, on: {click: fn}}, 'text', child, [more])
 * Attributes: class, style (string or object), on (listeners), boolean props (disabled, hidden,
 * checked, selected), value; anything else via setAttribute. null/false/undefined are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

function applyAttrs(el, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'on') {
      for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    } else if (key === 'style' && typeof value === 'object') {
      Object.assign(el.style, value);
    } else if (key === 'value' && 'value' in el && !(el instanceof SVGElement)) {
      el.value = value;
    } else if ((key === 'disabled' || key === 'hidden' || key === 'checked' || key === 'selected') && !(el instanceof SVGElement)) {
      el[key] = true;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** The sentence an API error (or any failure) is shown with. */
export function errorText(err) {
  if (err && typeof err.detail === 'string' && err.detail) return err.detail;
  if (err && err.message) return err.message;
  return String(err);
}

/** A visible error box with the API's detail. */
export function errorBox(err) {
  return h('div', {class: 'error', role: 'alert'}, errorText(err));
}

export function loading(text = 'Loading…') {
  return h('div', {class: 'loading'}, h('span', {class: 'spinner', 'aria-hidden': 'true'}), text);
}

export function note(text) {
  return h('p', {class: 'note'}, text);
}

// ---- formatting ---------------------------------------------------------------------------

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** An ISO instant in the browser's local time, ISO-like: 2026-11-25 15:52:00. */
export function fmtInstant(iso, {seconds = true} = {}) {
  if (!iso) return '—';
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${base}:${pad(d.getSeconds())}` : base;
}

/** The local date of an instant: 2026-11-25. */
export function fmtDate(iso) {
  if (!iso) return '—';
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A <time> element: local time shown, the UTC instant in its tooltip. */
export function timeEl(iso, opts) {
  return h('time', {datetime: iso || null, title: iso ? `${iso} (UTC)` : null}, fmtInstant(iso, opts));
}

/** The browser's offset from UTC, e.g. UTC+01:00. */
export function localZone() {
  const off = -new Date().getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `UTC${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

const numberFormat = new Intl.NumberFormat('en-US', {maximumFractionDigits: 2});

export function fmtNum(n) {
  if (n === null || n === undefined || n === '') return '—';
  const x = Number(n);
  return Number.isFinite(x) ? numberFormat.format(x) : String(n);
}

export function fmtPct(x, digits = 1) {
  if (x === null || x === undefined || !Number.isFinite(Number(x))) return '—';
  return `${(Number(x) * 100).toFixed(digits)} %`;
}

export function fmtDays(x) {
  if (x === null || x === undefined) return '—';
  return `${Number(x).toFixed(Number(x) < 10 ? 1 : 0)} d`;
}

// ---- dates for pickers --------------------------------------------------------------------

/** The last local date a period's end instant covers (an end at midnight is the day before). */
export function lastDay(iso) {
  return fmtDate(new Date(new Date(iso).getTime() - 1));
}

/** YYYY-MM-DD of a local date, for <input type=date>. */
export function dateInputValue(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local midnight at the start of a YYYY-MM-DD date. */
export function startOfDate(value) {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d);
}

/** The instants a from/to pair of dates stands for: from's start to the end of to (at most now). */
let clockOffset = 0;

/** The node's clock at sign-in: the dashboard's "now" is the node's (event time is the node's truth). */
export function setServerNow(iso) {
  const at = new Date(iso).getTime();
  clockOffset = Number.isFinite(at) ? at - Date.now() : 0;
}

/** Now, by the node's clock. */
export function now() {
  return new Date(Date.now() + clockOffset);
}

export function periodInstants(fromValue, toValue) {
  if (!fromValue || !toValue) throw new Error('Choose both dates of the period');
  const from = startOfDate(fromValue);
  const end = startOfDate(toValue);
  end.setDate(end.getDate() + 1);
  const current = now();
  const to = end > current ? current : end;
  if (!(from < to)) throw new Error('The period must start before it ends (and not in the future)');
  return {from: from.toISOString(), to: to.toISOString()};
}

/** YYYY-MM-DDTHH:MM of an instant in local time, for <input type=datetime-local>. */
export function dateTimeInputValue(iso) {
  const d = new Date(iso);
  return `${dateInputValue(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (local time) as an ISO instant. */
export function localInputToInstant(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`'${value}' is not a date and time`);
  return d.toISOString();
}

// ---- routes -------------------------------------------------------------------------------

export const segmentHref = (id) => `#/segments/${encodeURIComponent(id)}`;
export const customerHref = (id) => `#/customers/${encodeURIComponent(id)}`;

export function segmentLink(id) {
  return h('a', {href: segmentHref(id), class: 'seg-link'}, id);
}

export function customerLink(id) {
  return h('a', {href: customerHref(id), class: 'cust-link'}, id);
}

/** A card: title, optional actions on the right, and a body. */
export function card({title, subtitle, actions, cls, attrs}, ...body) {
  return h('section', {class: `card ${cls || ''}`.trim(), ...(attrs || {})},
    title || actions ? h('div', {class: 'card-head'},
      h('div', {class: 'card-titles'}, title ? h('h2', null, title) : null, subtitle ? h('p', {class: 'card-sub'}, subtitle) : null),
      actions ? h('div', {class: 'card-actions'}, actions) : null) : null,
    h('div', {class: 'card-body'}, body));
}

/** A definition list of facts: [[label, value], ...]. */
export function facts(pairs, attrs) {
  return h('dl', {class: 'facts', ...(attrs || {})}, pairs.filter(Boolean).map(([k, v, extra]) =>
    h('div', {class: 'fact', ...(extra || {})}, h('dt', null, k), h('dd', null, v))));
}

/** A table from column headers and rows of cells. */
export function table({id, cls, head, rows, empty}) {
  const tbody = h('tbody', null, rows.map((cells) => cells instanceof Node ? cells : h('tr', null, cells.map((c) =>
    c instanceof Node && c.tagName === 'TD' ? c : h('td', null, c)))));
  return h('div', {class: 'table-wrap'},
    h('table', {id, class: `table ${cls || ''}`.trim()},
      h('thead', null, h('tr', null, head.map((c) => h('th', typeof c === 'object' && c && !(c instanceof Node) ? c.attrs : null,
        typeof c === 'object' && c && !(c instanceof Node) ? c.label : c)))),
      tbody),
    rows.length === 0 && empty ? note(empty) : null);
}

export function td(content, attrs) {
  return h('td', attrs, content);
}

/** A badge: ok / bad / warn / neutral. */
export function badge(text, kind = 'neutral') {
  return h('span', {class: `badge badge-${kind}`}, text);
}

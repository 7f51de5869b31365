// The dashboard's shell: sign-in, the header, the left nav and hash routing to the views.

import {api, getToken, setToken, clearToken, onUnauthorized, isAborted} from './api.js';
import {h, fill, errorBox, errorText, localZone, setServerNow} from './dom.js';
import {session, forgetSegments, resetPeriod} from './state.js';
import * as overview from './views/overview.js';
import * as segment from './views/segment.js';
import * as customers from './views/customers.js';
import * as journey from './views/journey.js';
import * as insights from './views/insights.js';
import * as definitions from './views/definitions.js';
import * as operations from './views/operations.js';

const $ = (id) => document.getElementById(id);

const ROUTES = [
  {pattern: /^\/?$/, nav: 'overview', title: 'Overview', render: overview.render},
  {pattern: /^\/segments\/([^/?]+)\/?$/, nav: 'overview', title: 'Segment', render: segment.render},
  {pattern: /^\/customers\/?$/, nav: 'customers', title: 'Customers', render: customers.renderSearch},
  {pattern: /^\/customers\/([^/?]+)\/?$/, nav: 'customers', title: 'Customer', render: customers.renderCustomer},
  {pattern: /^\/journey\/?$/, nav: 'journey', title: 'Journey', render: journey.render},
  {pattern: /^\/insights\/?$/, nav: 'insights', title: 'Insights', render: insights.render},
  {pattern: /^\/definitions\/?$/, nav: 'definitions', title: 'Definitions', render: definitions.render, admin: true},
  {pattern: /^\/operations\/?$/, nav: 'operations', title: 'Operations', render: operations.render},
];

let current = null;

function teardown() {
  if (!current) return;
  const {controller, cleanups} = current;
  current = null;
  controller.abort();
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      // a view's cleanup must not stop the next view
    }
  }
}

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function setActiveNav(key) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    const active = a.getAttribute('data-nav') === key;
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

function setTitle(text) {
  $('page-title').textContent = text;
  document.title = `${text} · segmentd`;
}

function route() {
  if (!session.role) return;
  teardown();
  const view = $('view');
  const raw = (location.hash || '#/').replace(/^#/, '') || '/';
  const path = raw.split('?')[0];
  const found = ROUTES.map((r) => ({r, m: path.match(r.pattern)})).find((x) => x.m);
  view.replaceChildren();
  if (!found) {
    setActiveNav(null);
    setTitle('Not found');
    fill(view, errorBox({detail: `There is no page at #${raw}.`}), h('p', null, h('a', {href: '#/'}, 'Back to the overview')));
    return;
  }
  const {r, m} = found;
  setActiveNav(r.nav);
  setTitle(r.title);
  if (r.admin && session.role !== 'admin') {
    fill(view, errorBox({detail: 'This page is for admin tokens only.'}));
    return;
  }
  const controller = new AbortController();
  const state = {controller, cleanups: []};
  current = state;
  const ctx = {
    view,
    params: m.slice(1).map(decode),
    signal: controller.signal,
    alive: () => current === state,
    onCleanup: (fn) => state.cleanups.push(fn),
    setTitle,
    role: session.role,
    isAdmin: session.role === 'admin',
  };
  Promise.resolve()
    .then(() => r.render(ctx, ...ctx.params))
    .catch((err) => {
      if (!ctx.alive() || isAborted(err)) return;
      view.prepend(errorBox(err));
    });
}

// ---- sign-in ------------------------------------------------------------------------------

function showSignIn(message) {
  teardown();
  session.role = null;
  $('app').hidden = true;
  $('signin-screen').hidden = false;
  const error = $('sign-in-error');
  if (message) {
    error.textContent = message;
    error.hidden = false;
  } else {
    error.textContent = '';
    error.hidden = true;
  }
  const input = $('token');
  input.value = '';
  $('sign-in').disabled = false;
  input.focus();
}

function showApp(role, serverNow) {
  setServerNow(serverNow);
  resetPeriod();
  session.role = role;
  forgetSegments();
  $('role').textContent = role;
  $('role').className = `badge ${role === 'admin' ? 'badge-admin' : 'badge-neutral'}`;
  for (const el of document.querySelectorAll('.admin-only')) el.hidden = role !== 'admin';
  $('signin-screen').hidden = true;
  $('sign-in-error').hidden = true;
  $('sign-in-error').textContent = '';
  $('app').hidden = false;
  $('zone-note').textContent = `Times in local time (${localZone()})`;
  route();
}

async function signIn(event) {
  event.preventDefault();
  const input = $('token');
  const error = $('sign-in-error');
  const button = $('sign-in');
  const token = input.value.trim();
  error.hidden = true;
  if (!token) {
    error.textContent = 'Enter a token';
    error.hidden = false;
    return;
  }
  button.disabled = true;
  try {
    const answer = await api('/v1/session', {token});
    setToken(token);
    input.value = '';
    showApp(answer && answer.role === 'admin' ? 'admin' : 'read', answer && answer.now);
  } catch (err) {
    error.textContent = err.status === 401 ? 'Token refused' : errorText(err);
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

function signOut() {
  clearToken();
  showSignIn();
}

onUnauthorized(() => {
  clearToken();
  showSignIn('Token refused');
});

async function start() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  window.addEventListener('unhandledrejection', (event) => {
    if (isAborted(event.reason) || !session.role) return;
    $('view').prepend(errorBox(event.reason));
  });
  const token = getToken();
  if (!token) {
    showSignIn();
    return;
  }
  $('signin-screen').hidden = true;
  try {
    const answer = await api('/v1/session', {token});
    showApp(answer && answer.role === 'admin' ? 'admin' : 'read', answer && answer.now);
  } catch (err) {
    if (err.status === 401) clearToken();
    showSignIn(err.status === 401 ? 'Token refused' : errorText(err));
  }
}

start();

// Definitions (admin): custom segments: the list, a JSON editor, a dry-run preview of a change,
// saving a new version (backfilled in the background), versions and backfill progress.

import {api, seg, isAborted} from '../api.js';
import {h, fill, card, errorBox, loading, note, fmtNum, timeEl, facts, customerLink, badge, localInputToInstant, table} from '../dom.js';
import {barChart, mount} from '../charts.js';
import {forgetSegments} from '../state.js';

const ID = /^custom:[a-z0-9][a-z0-9-]*$/;

const TEMPLATE = {
  description: 'good customers gone quiet',
  rule: {
    all: [
      {segment: 'loyalty:loyal'},
      {lastOccurrence: {event: 'Order Completed'}, moreThan: '60d'},
    ],
  },
};

export async function render(ctx) {
  const {view} = ctx;
  const listBox = h('div', {class: 'def-list'}, loading());
  const newButton = h('button', {type: 'button', id: 'definition-new', class: 'btn btn-secondary btn-small'}, 'New definition');

  const idInput = h('input', {type: 'text', id: 'definition-id', placeholder: 'custom:name', autocomplete: 'off', spellcheck: 'false'});
  const editor = h('textarea', {id: 'definition-editor', class: 'code-editor', rows: '18', spellcheck: 'false', 'aria-label': 'Definition (JSON)'});
  const at = h('input', {type: 'datetime-local', id: 'definition-preview-at', step: '1', 'aria-label': 'Preview as of (local time, empty = now)'});
  const format = h('button', {type: 'button', id: 'definition-format', class: 'btn btn-secondary btn-small'}, 'Format JSON');
  const preview = h('button', {type: 'button', id: 'definition-preview', class: 'btn btn-secondary'}, 'Preview');
  const save = h('button', {type: 'button', id: 'definition-save', class: 'btn btn-primary'}, 'Save');
  const del = h('button', {type: 'button', id: 'definition-delete', class: 'btn btn-danger', hidden: true}, 'Delete');
  const message = h('div', {id: 'definition-message'});
  const previewBox = h('div', {id: 'definition-preview-result'});
  const versionsBox = h('div', {id: 'definition-versions-box'});
  const backfillBox = h('div', {id: 'definition-backfill'});

  fill(view,
    h('div', {class: 'grid grid-defs'},
      card({title: 'Custom segments', actions: newButton}, listBox,
        h('p', {class: 'muted small'}, 'Rules over events, properties the profile keeps and other segments; see the README, "Custom segments".')),
      card({title: 'Editor', subtitle: 'The body of PUT /v1/segments/{id}: {"description", "rule"}'},
        h('div', {class: 'form-row'}, h('label', {for: 'definition-id'}, 'Id'), idInput),
        editor,
        h('div', {class: 'form-row form-actions'},
          format,
          h('span', {class: 'spacer'}),
          h('label', {for: 'definition-preview-at', class: 'muted small'}, 'Preview as of'), at),
        h('div', {class: 'form-row form-buttons'}, del, h('span', {class: 'spacer'}), preview, save),
        message,
        previewBox)),
    h('div', {class: 'grid grid-2'},
      card({title: 'Versions'}, versionsBox),
      card({title: 'Backfill'}, backfillBox)));

  let poll = null;
  ctx.onCleanup(() => clearTimeout(poll));
  let selected = null;

  const setMessage = (node) => fill(message, node);

  const body = () => {
    try {
      const parsed = JSON.parse(editor.value);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the definition must be a JSON object');
      return editor.value;
    } catch (err) {
      throw new Error(`The definition is not valid JSON: ${err.message}`);
    }
  };

  const checkedId = () => {
    const id = idInput.value.trim();
    if (!ID.test(id)) throw new Error(`'${id}' must look like custom:<name> (lower case letters, digits, dashes)`);
    return id;
  };

  const loadList = async () => {
    try {
      forgetSegments();
      const data = await api('/v1/segments', {signal: ctx.signal});
      if (!ctx.alive()) return;
      const custom = (data.segments || []).filter((sg) => sg.id.startsWith('custom:') || sg.family === 'custom');
      fill(listBox,
        h('table', {id: 'definitions', class: 'table table-compact table-select'},
          h('thead', null, h('tr', null, h('th', null, 'Id'), h('th', {class: 'num'}, 'Version'), h('th', {class: 'num'}, 'Members'))),
          h('tbody', null, custom.map((sg) => {
            const row = h('tr', {'data-definition': sg.id, class: sg.id === selected ? 'selected' : null, tabindex: '0'},
              h('td', null, h('a', {href: '#/definitions', class: 'def-pick'}, sg.id)),
              h('td', {class: 'num'}, `v${sg.definitionVersion}`),
              h('td', {class: 'num'}, h('a', {href: `#/segments/${encodeURIComponent(sg.id)}`, title: 'Open the segment'}, fmtNum(sg.count))));
            row.addEventListener('click', (e) => {
              if (e.target.closest('a') && !e.target.closest('.def-pick')) return;
              e.preventDefault();
              select(sg.id);
            });
            row.addEventListener('keydown', (e) => {
              if (e.key === 'Enter') select(sg.id);
            });
            return row;
          }))),
        custom.length ? null : note('No custom segments yet. Write one in the editor, preview it and save it.'));
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      fill(listBox, errorBox(err));
    }
  };

  const markSelected = () => {
    for (const tr of listBox.querySelectorAll('tr[data-definition]')) tr.classList.toggle('selected', tr.getAttribute('data-definition') === selected);
  };

  const startNew = () => {
    selected = null;
    markSelected();
    idInput.value = '';
    idInput.readOnly = false;
    editor.value = JSON.stringify(TEMPLATE, null, 2);
    del.hidden = true;
    message.replaceChildren();
    previewBox.replaceChildren();
    fill(versionsBox, note('A new definition has no versions yet.'));
    fill(backfillBox, note('Saved definitions are backfilled: every customer adopts the new version, then it goes live at once.'));
    clearTimeout(poll);
    idInput.focus();
  };

  const select = async (id) => {
    selected = id;
    markSelected();
    idInput.value = id;
    idInput.readOnly = true;
    del.hidden = false;
    resetDelete();
    message.replaceChildren();
    previewBox.replaceChildren();
    editor.value = '';
    editor.placeholder = 'Loading…';
    try {
      const detail = await api(`/v1/segments/${seg(id)}`, {signal: ctx.signal});
      if (!ctx.alive() || selected !== id) return;
      const definition = {...(detail.definition || {})};
      delete definition.id;
      delete definition.version;
      editor.value = JSON.stringify(definition, null, 2);
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      setMessage(errorBox(err));
    } finally {
      editor.placeholder = '';
    }
    loadVersions(id);
    loadBackfill(id);
  };

  const loadVersions = async (id) => {
    fill(versionsBox, loading());
    try {
      const data = await api(`/v1/segments/${seg(id)}/versions`, {signal: ctx.signal});
      if (!ctx.alive() || selected !== id) return;
      const versions = data.versions || [];
      fill(versionsBox, table({
        id: 'definition-versions', cls: 'table-compact',
        head: ['Version', 'State', 'Created', ''],
        rows: versions.map((v) => {
          const load = h('button', {type: 'button', class: 'btn btn-link btn-small'}, 'Load into editor');
          load.addEventListener('click', () => {
            const definition = {...(v.definition || {})};
            delete definition.id;
            delete definition.version;
            editor.value = JSON.stringify(definition, null, 2);
            setMessage(h('p', {class: 'info'}, `Version ${v.version} loaded into the editor; Save makes it a new version.`));
          });
          return h('tr', {'data-version': v.version},
            h('td', null, `v${v.version}`),
            h('td', null, badge(v.state, v.state === 'active' ? 'ok' : v.state === 'backfilling' ? 'warn' : 'neutral')),
            h('td', null, timeEl(v.createdAt)),
            h('td', null, load));
        }),
        empty: 'No versions.',
      }));
    } catch (err) {
      if (!ctx.alive() || isAborted(err) || selected !== id) return;
      fill(versionsBox, err.status === 404 ? note('Defined in the configuration (not through the API): read-only here.') : errorBox(err));
      if (err.status === 404) del.hidden = true;
    }
  };

  const loadBackfill = async (id) => {
    clearTimeout(poll);
    try {
      const b = await api(`/v1/segments/${seg(id)}/backfill`, {signal: ctx.signal});
      if (!ctx.alive() || selected !== id) return;
      const share = b.customers > 0 ? Math.min(1, b.done / b.customers) : (b.state === 'done' ? 1 : 0);
      fill(backfillBox,
        facts([
          ['State', badge(b.state || '—', b.state === 'done' ? 'ok' : 'warn')],
          ['Active version', b.activeVersion ? `v${b.activeVersion}` : '—'],
          ['Pending version', b.pendingVersion ? `v${b.pendingVersion}` : '—'],
          ['Customers', `${fmtNum(b.done)} of ${fmtNum(b.customers)}`],
          ['Started', timeEl(b.startedAt)],
          ['Finished', timeEl(b.finishedAt)],
          ['ETA', b.etaSeconds === null || b.etaSeconds === undefined ? '—' : `${Math.ceil(b.etaSeconds)} s`],
        ], {class: 'facts facts-inline'}),
        h('div', {class: 'progress', title: `${(share * 100).toFixed(1)} %`}, h('div', {class: 'progress-bar', style: {width: `${(share * 100).toFixed(1)}%`}})));
      if (b.state && b.state !== 'done') {
        poll = setTimeout(() => loadBackfill(id), 2000);
      } else if (b.pendingVersion === null || b.pendingVersion === undefined) {
        // Finished: the list's version and count, and the versions' states, may have changed.
        if (backfillBox.dataset.wasRunning === id) {
          backfillBox.dataset.wasRunning = '';
          loadList();
          loadVersions(id);
        }
      }
      if (b.state && b.state !== 'done') backfillBox.dataset.wasRunning = id;
    } catch (err) {
      if (!ctx.alive() || isAborted(err) || selected !== id) return;
      fill(backfillBox, err.status === 404 ? note('No backfill (not a stored definition).') : errorBox(err));
    }
  };

  format.addEventListener('click', () => {
    try {
      editor.value = JSON.stringify(JSON.parse(editor.value), null, 2);
      message.replaceChildren();
    } catch (err) {
      setMessage(errorBox({detail: `The definition is not valid JSON: ${err.message}`}));
    }
  });

  preview.addEventListener('click', async () => {
    let id;
    let text;
    let when = null;
    try {
      id = checkedId();
      text = body();
      if (at.value) when = localInputToInstant(at.value);
    } catch (err) {
      setMessage(errorBox(err));
      return;
    }
    message.replaceChildren();
    preview.disabled = true;
    fill(previewBox, loading('Running the rule over the journals (a dry run)…'));
    try {
      const r = await api(`/v1/segments/${seg(id)}/preview`, {method: 'POST', query: {at: when}, body: text, signal: ctx.signal});
      if (!ctx.alive()) return;
      renderPreview(previewBox, r);
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      fill(previewBox, errorBox(err));
    } finally {
      preview.disabled = false;
    }
  });

  save.addEventListener('click', async () => {
    let id;
    let text;
    try {
      id = checkedId();
      text = body();
    } catch (err) {
      setMessage(errorBox(err));
      return;
    }
    save.disabled = true;
    setMessage(loading('Saving…'));
    try {
      const r = await api(`/v1/segments/${seg(id)}`, {method: 'PUT', body: text, signal: ctx.signal});
      if (!ctx.alive()) return;
      setMessage(h('p', {class: 'success'}, `Saved ${r.id || id} version ${r.version}: ${r.state || 'backfilling'}. It goes live when every customer has adopted it.`));
      selected = id;
      idInput.readOnly = true;
      del.hidden = false;
      backfillBox.dataset.wasRunning = id;
      await loadList();
      loadVersions(id);
      loadBackfill(id);
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      setMessage(errorBox(err));
    } finally {
      save.disabled = false;
    }
  });

  let armed = false;
  const resetDelete = () => {
    armed = false;
    del.textContent = 'Delete';
  };
  del.addEventListener('click', async () => {
    if (!selected) return;
    if (!armed) {
      armed = true;
      del.textContent = `Confirm: delete ${selected}`;
      setTimeout(() => ctx.alive() && resetDelete(), 6000);
      return;
    }
    resetDelete();
    const id = selected;
    del.disabled = true;
    try {
      await api(`/v1/segments/${seg(id)}`, {method: 'DELETE', signal: ctx.signal});
      if (!ctx.alive()) return;
      await loadList();
      startNew();
      setMessage(h('p', {class: 'success'}, `Deleted ${id}: it stops answering now; members leave at their next evaluation.`));
    } catch (err) {
      if (!ctx.alive() || isAborted(err)) return;
      setMessage(errorBox(err));
    } finally {
      del.disabled = false;
    }
  });

  newButton.addEventListener('click', startNew);
  startNew();
  await loadList();
}

function renderPreview(box, r) {
  const chart = h('div', {'data-chart': 'definition-preview', class: 'chart-box'});
  fill(box,
    h('h3', {class: 'mini-title'}, `Preview of ${r.id} at `, timeEl(r.at)),
    facts([
      ['Customers evaluated', fmtNum(r.customers)],
      ['Members before', fmtNum(r.before), {'data-value': r.before}],
      ['Members after', fmtNum(r.after), {'data-value': r.after}],
      ['Entering', fmtNum(r.entering), {'data-value': r.entering, id: 'preview-entering'}],
      ['Leaving', fmtNum(r.leaving), {'data-value': r.leaving, id: 'preview-leaving'}],
      ['Active version', r.activeVersion ? `v${r.activeVersion}` : 'none (new)'],
    ], {class: 'facts facts-inline'}),
    chart,
    h('div', {class: 'grid grid-2'},
      h('div', null, h('h4', {class: 'mini-title'}, 'Entering (sample)'), samples(r.enteringSample, 'preview-entering-sample')),
      h('div', null, h('h4', {class: 'mini-title'}, 'Leaving (sample)'), samples(r.leavingSample, 'preview-leaving-sample'))));
  mount(chart, (width) => barChart({
    width, items: [
      {label: 'before', value: r.before, color: '#94a3b8'},
      {label: 'after', value: r.after, color: '#2563eb'},
      {label: 'entering', value: r.entering, color: '#16a34a'},
      {label: 'leaving', value: r.leaving, color: '#dc2626'},
    ],
  }));
}

function samples(list, id) {
  if (!list || list.length === 0) return h('p', {class: 'muted small', id}, 'None.');
  return h('ul', {class: 'sample-list', id}, list.map((c) => h('li', null, customerLink(c))));
}


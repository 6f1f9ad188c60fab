// anchorsync plan report: the interactive parts (filter, outcome chips, sorting, pages, details).
// Plain modern JavaScript, no libraries, nothing fetched. Every value from the plan reaches the page
// through textContent or a DOM property, never as HTML, so a hostile DN or display name stays text.
// Only one page of rows exists in the DOM at a time, so a plan of 100,000 users stays responsive.
// The page's own words are English (`<html lang="en">`); values from the directory and the tenant (DNs,
// addresses, names) are in whatever language their owners wrote them, so they carry `lang=""`.
(() => {
  'use strict';

  const byId = (id) => document.getElementById(id);
  const numberFormat = new Intl.NumberFormat();
  const fmt = (n) => numberFormat.format(n);
  const PAGE_SIZES = [50, 100, 250, 1000];
  // Filtering on every key stroke is instant for small plans; large ones wait for a pause in typing.
  const DEBOUNCE_FROM_ITEMS = 5000;
  const DEBOUNCE_MS = 150;

  function readJson(id, fallback) {
    const node = byId(id);
    if (!node) return fallback;
    const value = JSON.parse(node.textContent);
    return value == null ? fallback : value;
  }

  /** Creates an element. `text` sets textContent; `class` the class list; data-/aria- keys are attributes. */
  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null) continue;
        if (key === 'text') node.textContent = value;
        else if (key === 'class') node.className = value;
        else if (key.startsWith('data-') || key.startsWith('aria-')) node.setAttribute(key, value);
        else node[key] = value;
      }
    }
    if (children) {
      for (const child of children) {
        if (child !== null && child !== undefined && child !== false) node.append(child);
      }
    }
    return node;
  }

  /** Any JSON value as display text: arrays joined, objects as JSON. */
  function asText(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.map(asText).join(', ');
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  /** A sentence of the engine, with `values in backticks` shown as code; still only text nodes. */
  function sentence(value) {
    const text = asText(value);
    const parts = text.split('`');
    if (parts.length < 3 || parts.length % 2 === 0) return document.createTextNode(text);
    const fragment = document.createDocumentFragment();
    parts.forEach((part, index) => {
      if (index % 2 === 1) fragment.append(el('code', { text: part, lang: '' }));
      else if (part) fragment.append(part);
    });
    return fragment;
  }

  const asList = (value) => (Array.isArray(value) ? value : value === null || value === undefined ? [] : [value]);
  /** The attribute changes of a user; anything but `{attribute, cloudValue, onPremValue}` objects is ignored. */
  const changesOf = (user) =>
    (Array.isArray(user.attributeChanges) ? user.attributeChanges : []).filter(
      (change) => change !== null && typeof change === 'object' && !Array.isArray(change),
    );
  const none = (text) => el('span', { class: 'none', text: text || 'none' });

  /** A value from the directory or the tenant: its language is not the page's. */
  const dataText = (tag, text, props) => el(tag, { ...props, text, lang: '' });

  /**
   * An address (a UPN) that wraps only before `@` and `.`, or not at all: each piece is unbreakable
   * (not even at a hyphen) and `<wbr>` between them is the only place a line may end.
   */
  function address(value) {
    const text = asText(value);
    const node = el('span', { class: 'address', lang: '' });
    for (const piece of text.split(/(?=[@.])/)) {
      if (node.childNodes.length) node.append(el('wbr'));
      node.append(el('span', { text: piece }));
    }
    return node;
  }

  // ---- Outcomes: the vocabulary comes from the renderer, in display order, with counts. ----

  const outcomeList = readJson('outcome-data', []);
  const outcomes = new Map();
  outcomeList.forEach((outcome, order) => outcomes.set(outcome.id, { ...outcome, order }));

  function outcomeOf(value) {
    const id = asText(value);
    let outcome = outcomes.get(id);
    if (!outcome) {
      outcome = {
        id,
        label: id || '(no outcome)',
        meaning: 'Needs attention: an outcome this report does not know; read the reasons.',
        attention: true,
        cssClass: 'o-unknown',
        count: 0,
        order: outcomes.size,
      };
      outcomes.set(id, outcome);
    }
    return outcome;
  }

  function outcomeBadge(outcome) {
    return el('span', { class: outcome.attention ? 'badge attention' : 'badge' }, [
      el('span', { class: `swatch ${outcome.cssClass}`, 'aria-hidden': 'true' }),
      el('span', { class: 'text', text: outcome.label }),
    ]);
  }

  // ---- A table that filters, sorts and shows one page at a time. ----

  function pagedTable(config) {
    const { table, status, pager, items, columns, noun } = config;
    const tbody = table.tBodies[0];
    const columnCount = table.tHead.rows[0].cells.length;
    const identity = Array.from(items, (_, index) => index);
    // Before the reader sorts: the table's own order (users that need attention first), else the plan's.
    const initial = config.initialOrder ? config.initialOrder(items) : identity;
    const sortKeys = new Map();
    const open = new Set();
    let searchText = null; // built on the first filter: lowercase text per item
    let terms = [];
    let order = initial;
    let sort = { key: null, direction: 1 };
    let view = initial;
    let page = 0;
    let pageSize = 100;

    function matches(index) {
      if (config.accept && !config.accept(items[index])) return false;
      if (terms.length === 0) return true;
      const text = searchText[index];
      for (const term of terms) {
        if (!text.includes(term)) return false;
      }
      return true;
    }

    function prepareSearch() {
      if (searchText === null) searchText = items.map((item) => config.searchText(item).toLowerCase());
    }

    function refilter() {
      const started = performance.now();
      if (terms.length > 0) prepareSearch();
      view = terms.length === 0 && !config.accept ? order : order.filter(matches);
      render();
      // How long the last update took, for the benchmark in docs/PERFORMANCE.md.
      status.dataset.updateMs = String(Math.round(performance.now() - started));
    }

    let lastQuery = '';
    function setQuery(query) {
      if (query === lastQuery) return;
      lastQuery = query;
      terms = query.toLowerCase().split(/\s+/).filter((term) => term.length > 0);
      page = 0;
      refilter();
    }

    function sortBy(key) {
      const column = columns.find((c) => c.key === key);
      if (!column) return;
      const started = performance.now();
      sort = { key, direction: sort.key === key ? -sort.direction : 1 };
      let keys = sortKeys.get(key);
      if (!keys) {
        keys = items.map(column.sortValue);
        sortKeys.set(key, keys);
      }
      const direction = sort.direction;
      // Empty values go last either way; ties keep the plan's order, so the result is stable.
      order = identity.slice().sort((a, b) => {
        const x = keys[a];
        const y = keys[b];
        if (x === y) return a - b;
        if (x === '') return 1;
        if (y === '') return -1;
        return (x < y ? -1 : 1) * direction;
      });
      for (const th of table.tHead.rows[0].cells) {
        if (th.dataset.sort === key) th.setAttribute('aria-sort', direction > 0 ? 'ascending' : 'descending');
        else th.removeAttribute('aria-sort');
      }
      page = 0;
      refilter();
      status.dataset.sortMs = String(Math.round(performance.now() - started));
    }

    function rowFor(index) {
      const item = items[index];
      const isOpen = open.has(index);
      const toggle = el('button', {
        type: 'button',
        class: 'expand',
        text: isOpen ? '\u2212' : '+',
        title: isOpen ? 'Hide details' : 'Show details',
        'aria-expanded': String(isOpen),
        'aria-label': isOpen ? 'Hide details' : 'Show details',
      });
      const row = el('tr', { class: isOpen ? 'row open' : 'row', 'data-index': String(index) }, [
        el('td', { class: 'toggle' }, [toggle]),
        ...config.cells(item),
      ]);
      if (!isOpen) return [row];
      const detail = el('tr', { class: 'detail' }, [
        el('td', { colSpan: columnCount }, [config.detail(item)]),
      ]);
      return [row, detail];
    }

    function render() {
      const matching = view.length;
      const pages = Math.max(1, Math.ceil(matching / pageSize));
      page = Math.min(Math.max(page, 0), pages - 1);
      const start = page * pageSize;
      const end = Math.min(matching, start + pageSize);
      const rows = [];
      for (let k = start; k < end; k += 1) rows.push(...rowFor(view[k]));
      if (rows.length === 0) {
        const message = items.length === 0 ? config.emptyText : `No ${noun[1]} match the filter.`;
        rows.push(el('tr', {}, [el('td', { class: 'empty', colSpan: columnCount, text: message })]));
      }
      tbody.replaceChildren(...rows);

      const total = items.length;
      let text;
      if (total === 0) text = config.emptyText;
      else if (matching === 0) text = `No ${noun[1]} match (${fmt(total)} in the plan).`;
      else if (matching === total) text = `Showing ${fmt(start + 1)}\u2013${fmt(end)} of ${fmt(total)} ${noun[total === 1 ? 0 : 1]}.`;
      else text = `Showing ${fmt(start + 1)}\u2013${fmt(end)} of ${fmt(matching)} matching ${noun[matching === 1 ? 0 : 1]} (${fmt(total)} in the plan).`;
      status.textContent = text;
      status.dataset.matching = String(matching);
      status.dataset.total = String(total);
      status.dataset.shown = String(end - start);

      pagerState.first.disabled = page === 0;
      pagerState.previous.disabled = page === 0;
      pagerState.next.disabled = page >= pages - 1;
      pagerState.last.disabled = page >= pages - 1;
      pagerState.label.textContent = `Page ${fmt(page + 1)} of ${fmt(pages)}`;
      pager.hidden = matching <= PAGE_SIZES[0];
    }

    const go = (target) => () => {
      page = target();
      render();
    };
    const pagerState = {
      first: el('button', { type: 'button', text: 'First', 'data-page': 'first', onclick: go(() => 0) }),
      previous: el('button', { type: 'button', text: 'Previous', 'data-page': 'previous', onclick: go(() => page - 1) }),
      label: el('span', { class: 'page' }),
      next: el('button', { type: 'button', text: 'Next', 'data-page': 'next', onclick: go(() => page + 1) }),
      last: el('button', { type: 'button', text: 'Last', 'data-page': 'last', onclick: go(() => Number.MAX_SAFE_INTEGER) }),
    };
    const sizeSelect = el(
      'select',
      { 'aria-label': 'Rows per page' },
      PAGE_SIZES.map((size) => el('option', { value: String(size), text: `${size} per page`, selected: size === pageSize })),
    );
    sizeSelect.addEventListener('change', () => {
      const first = page * pageSize;
      pageSize = Number(sizeSelect.value);
      page = Math.floor(first / pageSize);
      render();
    });
    pager.replaceChildren(
      pagerState.first, pagerState.previous, pagerState.label, pagerState.next, pagerState.last, sizeSelect,
    );

    tbody.addEventListener('click', (event) => {
      const button = event.target.closest('button.expand');
      if (!button) return;
      const index = Number(button.closest('tr').dataset.index);
      if (open.has(index)) open.delete(index);
      else open.add(index);
      render();
      const again = tbody.querySelector(`tr.row[data-index="${index}"] button.expand`);
      if (again) again.focus();
    });

    for (const th of table.tHead.rows[0].cells) {
      const button = th.querySelector('button');
      if (button && th.dataset.sort) button.addEventListener('click', () => sortBy(th.dataset.sort));
    }

    if (config.filterInput) {
      let timer = null;
      const delay = items.length >= DEBOUNCE_FROM_ITEMS ? DEBOUNCE_MS : 0;
      const onInput = () => {
        clearTimeout(timer);
        const run = () => setQuery(config.filterInput.value);
        if (delay === 0) run();
        else timer = setTimeout(run, delay);
      };
      config.filterInput.addEventListener('input', onInput);
      // The search text is built once, when the reader first comes to the filter, not at every load.
      config.filterInput.addEventListener('focus', prepareSearch, { once: true });
      // A field emptied by script or by the browser's clear button may only say `change` or `search`.
      config.filterInput.addEventListener('change', onInput);
      config.filterInput.addEventListener('search', onInput);
      // A value restored by the browser (back/forward) applies at once.
      if (config.filterInput.value) {
        lastQuery = config.filterInput.value;
        terms = lastQuery.toLowerCase().split(/\s+/).filter(Boolean);
      }
    }

    refilter();
    return {
      refilter() {
        page = 0;
        refilter();
      },
    };
  }

  // ---- Details ----

  function definitionList(pairs) {
    const children = [];
    for (const [term, value] of pairs) {
      if (value === null || value === undefined || value === '') continue;
      children.push(el('dt', { text: term }), el('dd', {}, [value instanceof Node ? value : String(value)]));
    }
    return children.length ? el('dl', {}, children) : null;
  }

  function listSection(title, values) {
    const entries = asList(values);
    if (entries.length === 0) return [];
    return [el('h4', { text: title }), el('ul', {}, entries.map((value) => el('li', {}, [sentence(value)])))];
  }

  function cloudValue(value) {
    const text = asText(value);
    return text === '' ? none('(empty)') : text;
  }

  function attributeChangesSection(entries) {
    if (entries.length === 0) return [];
    const rows = entries.map((change) =>
      el('tr', {}, [
        el('td', {}, [el('code', { text: asText(change.attribute) })]),
        el('td', {}, [cloudValue(change.cloudValue)]),
        el('td', {}, [cloudValue(change.onPremValue)]),
      ]),
    );
    return [
      el('h4', { text: `Cloud values the first sync will overwrite or remove (${entries.length})` }),
      el('table', {}, [
        el('thead', {}, [
          el('tr', {}, [
            el('th', { text: 'Attribute' }),
            el('th', { text: 'In the cloud now' }),
            el('th', { text: 'After the sync (from AD)' }),
          ]),
        ]),
        el('tbody', {}, rows),
      ]),
    ];
  }

  function otherFields(item, known) {
    const pairs = Object.keys(item || {})
      .filter((key) => !known.has(key))
      .map((key) => [key, asText(item[key])]);
    const list = definitionList(pairs);
    return list ? [el('h4', { text: 'Other details' }), list] : [];
  }

  const USER_FIELDS = new Set([
    'dn', 'sourceAnchor', 'outcome', 'cloudUserId', 'predictedUserPrincipalName', 'conflictAttribute',
    'reasons', 'warnings', 'attributeChanges', 'userPrincipalName', 'anchorAttribute', 'conflictingCloudUserIds',
    'remediation',
  ]);

  /** A step's value: text, (empty) for null, or the Base64 of bytes. */
  function stepValue(value) {
    if (value && typeof value === 'object' && typeof value.base64 === 'string') {
      return el('span', {}, [el('code', { text: value.base64 }), ' (bytes, Base64)']);
    }
    const text = asText(value);
    return text === '' ? none('(empty)') : el('code', { text });
  }

  /** With `plan --strategy`: the pair, the change and the outcome after it. */
  function remediationSection(remediation) {
    if (!remediation || typeof remediation !== 'object') return [];
    const steps = asList(remediation.steps);
    const verdict = remediation.fixable === true
      ? `Fixable with ${asText(remediation.strategy)}: ${steps.length} ${steps.length === 1 ? 'change' : 'changes'}.`
      : `Not changed by ${asText(remediation.strategy)}.`;
    const conflicts = asList(remediation.pairingConflicts).map(
      (conflict) => `${asText(conflict.rule)} → ${asText(conflict.userPrincipalName) || asText(conflict.cloudUserId)}${conflict.otherDn ? ` (also ${asText(conflict.otherDn)})` : ''}`,
    );
    const rows = steps.map((step) =>
      el('tr', {}, [
        el('td', { text: asText(step.system) === 'ad' ? 'AD' : 'Microsoft 365' }),
        el('td', {}, [el('code', { text: asText(step.attribute) })]),
        el('td', {}, [stepValue(step.before)]),
        el('td', {}, [stepValue(step.after)]),
        el('td', { text: asText(step.purpose) }),
      ]),
    );
    return [
      el('h4', { text: 'Fix' }),
      el('p', { class: 'remediation', text: verdict }),
      definitionList([
        ['Paired by', asList(remediation.pairedBy).map(asText).join(', ')],
        ['Why not', asText(remediation.reason)],
        ['What would work', asText(remediation.alternative)],
        ['Outcome after', code(remediation.outcomeAfter)],
        ['Pairing rules found', conflicts.join('; ')],
      ]),
      ...(rows.length
        ? [
            el('table', { class: 'steps' }, [
              el('thead', {}, [
                el('tr', {}, [
                  el('th', { text: 'Where' }),
                  el('th', { text: 'Attribute' }),
                  el('th', { text: 'Before' }),
                  el('th', { text: 'After' }),
                  el('th', { text: 'Step' }),
                ]),
              ]),
              el('tbody', {}, rows),
            ]),
          ]
        : []),
    ];
  }

  const code = (value) => (asText(value) === '' ? null : el('code', { text: asText(value) }));

  /** Values as code, separated by commas; null when there are none. */
  function codes(values) {
    const entries = asList(values).map(asText).filter((text) => text !== '');
    if (entries.length === 0) return null;
    const fragment = document.createDocumentFragment();
    entries.forEach((text, index) => {
      if (index > 0) fragment.append(', ');
      fragment.append(el('code', { text }));
    });
    return fragment;
  }

  function userDetail(user) {
    const outcome = outcomeOf(user.outcome);
    const anchorFrom = asText(user.anchorAttribute);
    const anchor = code(user.sourceAnchor);
    return el('div', { class: 'detail' }, [
      el('p', { class: 'meaning', text: outcome.meaning }),
      definitionList([
        ['Outcome', code(user.outcome)],
        ['AD user', asText(user.dn) && dataText('span', asText(user.dn))],
        ['AD UPN', asText(user.userPrincipalName) && address(user.userPrincipalName)],
        [
          'sourceAnchor',
          anchor
            ? el('span', {}, [anchor, anchorFrom ? ` from ${anchorFrom}` : null])
            : none(anchorFrom ? `none (${anchorFrom} is empty)` : 'none'),
        ],
        ['Matched cloud user', code(user.cloudUserId) || none('none')],
        ['Cloud UPN after sync', asText(user.predictedUserPrincipalName) && address(user.predictedUserPrincipalName)],
        ['Value already taken', code(user.conflictAttribute)],
        ['Competing cloud users', codes(user.conflictingCloudUserIds)],
      ]),
      ...listSection('Why', user.reasons),
      ...listSection('Warnings', user.warnings),
      ...attributeChangesSection(changesOf(user)),
      ...remediationSection(user.remediation),
      ...otherFields(user, USER_FIELDS),
    ]);
  }

  function immutableIdOf(cloudUser) {
    const value = cloudUser && cloudUser.onPremisesImmutableId;
    return typeof value === 'string' && value !== '' ? value : null;
  }

  const CLOUD_FIELDS = new Set([
    'id', 'userPrincipalName', 'displayName', 'onPremisesImmutableId', 'onPremisesSyncEnabled', 'accountEnabled',
    'federated', 'directoryRoles', 'warnings',
  ]);

  const yesNo = (value) => (value === true ? 'yes' : value === false ? 'no' : null);

  /** What to know about a cloud-only user at a glance. */
  function cloudNotes(cloudUser) {
    const notes = [];
    const roles = asList(cloudUser.directoryRoles).map(asText).filter(Boolean);
    if (roles.length) notes.push(`Administrator: ${roles.join(', ')}`);
    if (cloudUser.federated === true) notes.push('Federated domain');
    if (cloudUser.accountEnabled === false) notes.push('Sign-in blocked');
    if (cloudUser.onPremisesSyncEnabled === true) notes.push('Synced from on-premises');
    return notes;
  }

  /** The flag under a cloud-only user's ImmutableID. */
  const immutableIdFlag = (cloudUser) =>
    cloudUser.federated === false ? 'Carries an ImmutableID (domain not federated)' : 'Federated sign-in depends on it';

  function cloudDetail(cloudUser) {
    const immutableId = immutableIdOf(cloudUser);
    return el('div', { class: 'detail' }, [
      el('p', {
        class: 'meaning',
        text: immutableId
          ? 'Carries an ImmutableID that no AD user has. If its domain is federated, sign-in for this user depends on it: decide whether an AD user should take this user over (write this value into its anchor attribute) or whether the value should be cleared.'
          : 'A cloud-only user: the first sync leaves it as it is.',
      }),
      definitionList([
        ['Cloud user id', code(cloudUser.id)],
        ['User principal name', asText(cloudUser.userPrincipalName) && address(cloudUser.userPrincipalName)],
        ['Display name', asText(cloudUser.displayName) && dataText('span', asText(cloudUser.displayName))],
        ['ImmutableID', immutableId ? el('code', { text: immutableId }) : none('none')],
        ['Federated domain', yesNo(cloudUser.federated)],
        ['Sign-in allowed', yesNo(cloudUser.accountEnabled)],
        ['Synced from on-premises', yesNo(cloudUser.onPremisesSyncEnabled)],
        ['Directory roles', asList(cloudUser.directoryRoles).map(asText).join(', ')],
      ]),
      ...listSection('Warnings', cloudUser.warnings),
      ...otherFields(cloudUser, CLOUD_FIELDS),
    ]);
  }

  // ---- The page ----

  function start() {
    const plan = readJson('plan-data', {});
    const users = Array.isArray(plan.users) ? plan.users : [];
    const cloudOnly = Array.isArray(plan.cloudOnly) ? plan.cloudOnly : [];
    const lower = (value) => asText(value).toLowerCase();

    const generated = byId('generated-at');
    if (generated && generated.dateTime) {
      const local = new Date(generated.dateTime);
      if (!Number.isNaN(local.getTime())) generated.title = `Your local time: ${local.toLocaleString()}`;
    }

    // Outcome selection, shared by the chips and the chart.
    const selected = new Set(outcomes.keys());
    for (const user of users) selected.add(outcomeOf(user.outcome).id);
    const everyOutcome = new Set(selected);
    const chips = byId('outcome-chips');
    const chart = document.querySelector('svg.chart');
    const chipInputs = new Map();
    for (const outcome of outcomes.values()) {
      if (!outcome.count) continue;
      const input = el('input', { type: 'checkbox', value: outcome.id, checked: true });
      chipInputs.set(outcome.id, input);
      chips.append(
        el('label', { class: 'chip', title: outcome.meaning, 'data-outcome': outcome.id }, [
          input,
          el('span', { class: `swatch ${outcome.cssClass}`, 'aria-hidden': 'true' }),
          el('span', { text: outcome.label }),
          el('span', { class: 'n', text: fmt(outcome.count) }),
        ]),
      );
    }

    let userTable = null;
    function select(ids) {
      selected.clear();
      for (const id of ids) selected.add(id);
      for (const [id, input] of chipInputs) input.checked = selected.has(id);
      if (chart) {
        const filtered = selected.size < everyOutcome.size;
        chart.classList.toggle('filtered', filtered);
        for (const bar of chart.querySelectorAll('.bar')) {
          const on = filtered && selected.has(bar.dataset.outcome);
          bar.classList.toggle('selected', on);
          bar.setAttribute('aria-pressed', String(on));
        }
      }
      if (userTable) userTable.refilter();
    }

    chips.addEventListener('change', (event) => {
      const input = event.target;
      if (!(input instanceof HTMLInputElement)) return;
      const ids = new Set(selected);
      if (input.checked) ids.add(input.value);
      else ids.delete(input.value);
      select(ids);
    });
    byId('outcome-all').addEventListener('click', () => select(everyOutcome));
    byId('outcome-attention').addEventListener('click', () =>
      select([...everyOutcome].filter((id) => outcomeOf(id).attention)),
    );

    if (chart) {
      const pick = (bar) => {
        const id = bar.dataset.outcome;
        if (!Number(bar.dataset.count)) return;
        const only = selected.size === 1 && selected.has(id);
        select(only ? everyOutcome : [id]);
        byId('users').scrollIntoView({ block: 'start' });
      };
      for (const bar of chart.querySelectorAll('.bar')) {
        bar.addEventListener('click', () => pick(bar));
        bar.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            pick(bar);
          }
        });
      }
    }

    userTable = pagedTable({
      table: byId('user-table'),
      status: byId('user-status'),
      pager: byId('user-pager'),
      filterInput: byId('user-filter'),
      items: users,
      noun: ['user', 'users'],
      emptyText: 'The plan lists no on-premises users.',
      accept: (user) => selected.has(outcomeOf(user.outcome).id),
      // Users that need attention first, grouped by outcome in the command line's order, then the others;
      // the plan's order (by DN) within each group.
      initialOrder: (items) => {
        const rank = items.map((user) => {
          const outcome = outcomeOf(user.outcome);
          return outcome.attention ? outcome.order : Number.MAX_SAFE_INTEGER;
        });
        return Array.from(items, (_, index) => index).sort((a, b) => rank[a] - rank[b] || a - b);
      },
      searchText: (user) =>
        [
          user.dn, user.predictedUserPrincipalName, user.userPrincipalName, user.sourceAnchor, user.cloudUserId,
          user.conflictAttribute, user.outcome, outcomeOf(user.outcome).label, ...asList(user.reasons),
          ...asList(user.warnings), ...asList(user.conflictingCloudUserIds),
          user.remediation ? user.remediation.reason : null,
          user.remediation ? user.remediation.outcomeAfter : null,
        ].map(asText).join('\n'),
      columns: [
        { key: 'outcome', sortValue: (user) => outcomeOf(user.outcome).order },
        { key: 'dn', sortValue: (user) => lower(user.dn) },
        { key: 'upn', sortValue: (user) => lower(user.predictedUserPrincipalName) },
        { key: 'anchor', sortValue: (user) => asText(user.sourceAnchor) },
        { key: 'cloud', sortValue: (user) => lower(user.cloudUserId) },
      ],
      cells: (user) => {
        const reasons = asList(user.reasons).map(asText);
        const warnings = asList(user.warnings).length;
        const changes = changesOf(user).length;
        const extra = [];
        // The engine explains in the order it decided, so the last reason is the one that decided.
        const decisive = reasons.length ? reasons[reasons.length - 1] : '';
        if (reasons.length > 1) extra.push(`+${reasons.length - 1} more`);
        if (warnings) extra.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
        if (changes) extra.push(`${changes} cloud value${changes === 1 ? '' : 's'} overwritten`);
        const anchor = asText(user.sourceAnchor);
        const cloud = asText(user.cloudUserId);
        const upn = asText(user.predictedUserPrincipalName);
        return [
          el('td', { class: 'outcome', 'data-outcome': asText(user.outcome) }, [outcomeBadge(outcomeOf(user.outcome))]),
          dataText('td', asText(user.dn), { class: 'dn' }),
          el('td', { class: 'upn' }, [upn ? address(upn) : none('none')]),
          el('td', { class: 'anchor' }, [anchor ? el('code', { text: anchor }) : none('missing')]),
          el('td', { class: 'cloud' }, [cloud ? el('code', { text: cloud }) : none('none')]),
          el('td', { class: 'why', title: reasons.join('\n') }, [
            el('span', { class: 'clamp' }, [
              sentence(decisive),
              extra.length ? el('span', { class: 'more', text: ` (${extra.join(', ')})` }) : null,
            ]),
          ]),
        ];
      },
      detail: userDetail,
    });

    const immutableOnly = byId('cloud-immutable-only');
    const cloudTable = pagedTable({
      table: byId('cloud-table'),
      status: byId('cloud-status'),
      pager: byId('cloud-pager'),
      filterInput: byId('cloud-filter'),
      items: cloudOnly,
      noun: ['cloud user', 'cloud users'],
      emptyText: 'Every cloud user is reached by an AD user.',
      accept: (cloudUser) => !immutableOnly.checked || immutableIdOf(cloudUser) !== null,
      searchText: (cloudUser) =>
        [
          cloudUser.userPrincipalName, cloudUser.displayName, cloudUser.id, cloudUser.onPremisesImmutableId,
          ...asList(cloudUser.directoryRoles), ...asList(cloudUser.warnings), ...cloudNotes(cloudUser),
        ]
          .map(asText)
          .join('\n'),
      columns: [
        { key: 'upn', sortValue: (cloudUser) => lower(cloudUser.userPrincipalName) },
        { key: 'immutable', sortValue: (cloudUser) => immutableIdOf(cloudUser) || '' },
        { key: 'id', sortValue: (cloudUser) => lower(cloudUser.id) },
      ],
      cells: (cloudUser) => {
        const immutableId = immutableIdOf(cloudUser);
        const notes = cloudNotes(cloudUser);
        const warnings = asList(cloudUser.warnings);
        return [
          el('td', { class: 'upn' }, [address(cloudUser.userPrincipalName)]),
          el('td', { class: 'immutable', 'data-has-immutable-id': String(immutableId !== null) }, immutableId
            ? [el('code', { text: immutableId }), el('div', { class: 'flag', text: immutableIdFlag(cloudUser) })]
            : [none('none')]),
          el('td', { class: 'notes' }, [
            notes.join('; '),
            warnings.length ? el('div', { class: 'more' }, [sentence(warnings[0])]) : null,
          ]),
          el('td', { class: 'id' }, [el('code', { text: asText(cloudUser.id) })]),
        ];
      },
      detail: cloudDetail,
    });
    immutableOnly.addEventListener('change', () => cloudTable.refilter());

    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.ready = 'true';
  }

  try {
    start();
  } catch (error) {
    for (const id of ['user-status', 'cloud-status']) {
      const status = byId(id);
      if (status) status.textContent = `This report could not be shown: ${error && error.message}`;
    }
    throw error;
  }
})();

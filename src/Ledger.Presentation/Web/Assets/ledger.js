// The process page's sliders (Ratification Ledger, `ledger serve`). No framework: the server renders every fragment
// (escaped there), a step fetches them as JSON (one request) and swaps them in, and the URL follows the view.
(function () {
  'use strict';
  var root = document.getElementById('process');
  if (!root) { return; }
  var dates = JSON.parse(root.dataset.dates);
  var instants = JSON.parse(root.dataset.instants);
  var state = { asOf: root.dataset.asOf || null, knownAt: root.dataset.knownAt || null };
  var asOf = document.getElementById('as-of');
  var knownAt = document.getElementById('known-at');
  var error = document.getElementById('error');
  var request = null;

  function query(s) {
    var parts = [];
    if (s.asOf) { parts.push('asOf=' + encodeURIComponent(s.asOf)); }
    if (s.knownAt) { parts.push('knownAt=' + encodeURIComponent(s.knownAt)); }
    return parts.length ? '?' + parts.join('&') : '';
  }

  function label(id, text) {
    document.getElementById(id + '-label').textContent = text;
    document.getElementById(id).setAttribute('aria-valuetext', text);
  }

  // Provisional until the answer brings the server's wording.
  function knownText(s) {
    return s.knownAt ? s.knownAt.replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '') + ' UTC' : 'now';
  }

  function show() {
    var s = { asOf: state.asOf, knownAt: state.knownAt };
    label('as-of', s.asOf || 'now');
    label('known-at', knownText(s));
    if (request) { request.abort(); }
    request = new AbortController();
    fetch(root.dataset.view + query(s), { signal: request.signal, headers: { Accept: 'application/json' } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || ('HTTP ' + response.status)); }
          return body;
        });
      })
      .then(function (view) {
        document.getElementById('summary').innerHTML = view.summary;
        document.getElementById('ratifiers').innerHTML = view.ratifiers;
        document.getElementById('changes').innerHTML = view.changes;
        document.getElementById('timeline').innerHTML = view.timeline;
        label('as-of', view.asOfLabel);
        label('known-at', view.knownAtLabel);
        error.hidden = true;
        error.textContent = '';
        history.replaceState(null, '', location.pathname + query(s));
        root.dataset.shown = (view.asOf || '') + '|' + (view.knownAt || '');
      })
      .catch(function (e) {
        if (e.name === 'AbortError') { return; }
        error.textContent = e.message;
        error.hidden = false;
      });
  }

  function step(input, delta) {
    var next = Math.min(Number(input.max), Math.max(Number(input.min), Number(input.value) + delta));
    if (next !== Number(input.value)) {
      input.value = String(next);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
    input.focus();
  }

  asOf.addEventListener('input', function () {
    state.asOf = dates[Number(asOf.value)];
    show();
  });
  knownAt.addEventListener('input', function () {
    var i = Number(knownAt.value);
    // The last stop is every entry: as known now.
    state.knownAt = i >= instants.length - 1 ? null : instants[i];
    show();
  });
  document.getElementById('as-of-prev').addEventListener('click', function () { step(asOf, -1); });
  document.getElementById('as-of-next').addEventListener('click', function () { step(asOf, 1); });
  document.getElementById('known-at-prev').addEventListener('click', function () { step(knownAt, -1); });
  document.getElementById('known-at-next').addEventListener('click', function () { step(knownAt, 1); });
  root.dataset.ready = 'true';
}());

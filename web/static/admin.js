/*
 * Questions report page (/admin/questions). Fetches the report with the
 * admin key the editor types (kept in sessionStorage for this tab only)
 * and shows it as tables. Every value goes in with textContent.
 */
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var form = $('report-form');
  var keyInput = $('key');
  var status = $('status');
  try { keyInput.value = sessionStorage.getItem('chatpaper:admin-key') || ''; } catch (e) { /* storage off */ }

  function params(extra) {
    var q = new URLSearchParams();
    if ($('paper').value.trim()) q.set('paper', $('paper').value.trim());
    if ($('since').value.trim()) q.set('since', $('since').value.trim());
    Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
    var s = q.toString();
    return s ? '?' + s : '';
  }

  function get(url, accept) {
    // X-ChatPaper-Admin lets a keyless development server (serve
    // --keyless-admin) tell this page's request from a cross-site one.
    var headers = { Accept: accept, 'X-ChatPaper-Admin': '1' };
    var key = keyInput.value.trim();
    if (key) headers.Authorization = 'Bearer ' + key;
    return fetch(url, { headers: headers }).then(function (res) {
      if (res.ok) return res;
      return res.json().catch(function () { return {}; }).then(function (b) {
        var e = (b && b.error) || {};
        throw new Error((e.message || ('HTTP ' + res.status)) + (res.status === 401 || res.status === 403 ? ' (check the admin key)' : ''));
      });
    });
  }

  function cell(tag, text) {
    var el = document.createElement(tag);
    el.textContent = text === undefined || text === null ? '' : String(text);
    return el;
  }

  function table(el, head, rows) {
    el.textContent = '';
    var tr = document.createElement('tr');
    head.forEach(function (h) { tr.appendChild(cell('th', h)); });
    var thead = document.createElement('thead');
    thead.appendChild(tr);
    el.appendChild(thead);
    var body = document.createElement('tbody');
    rows.forEach(function (r) {
      var row = document.createElement('tr');
      r.forEach(function (v) { row.appendChild(cell('td', v)); });
      body.appendChild(row);
    });
    if (!rows.length) {
      var empty = document.createElement('tr');
      var td = cell('td', 'None yet.');
      td.colSpan = head.length;
      empty.appendChild(td);
      body.appendChild(empty);
    }
    el.appendChild(body);
  }

  function paperName(q) { return q.title ? q.title + ' (' + q.paper_id + ')' : q.paper_id; }

  function questionRows(list) {
    return list.map(function (q) {
      return [paperName(q), q.question, q.asked, q.refused, q.up, q.down, (q.langs || []).join(', '), (q.modes || []).join(', '), (q.notes || []).join(' | ')];
    });
  }

  var QHEAD = ['Paper', 'Question', 'Asked', 'Refused', '👍', '👎', 'Languages', 'Modes', 'Notes'];

  function show(rep) {
    var t = rep.totals;
    $('totals').textContent = t.asked + ' questions asked, ' + t.refused + ' refused, ' + t.up + ' 👍, ' + t.down + ' 👎, about ' + rep.papers.length + ' papers.';
    table($('papers'), ['Paper', 'Asked', 'Refused', '👍', '👎', 'Languages'], rep.papers.map(function (p) {
      return [paperName(p), p.asked, p.refused, p.up, p.down, Object.keys(p.langs || {}).map(function (l) { return l + ': ' + p.langs[l]; }).join(', ')];
    }));
    var qs = rep.questions.slice();
    var by = function (a, b, c) {
      return function (x, y) { return (y[a] - x[a]) || (y[b] - x[b]) || (y[c] - x[c]); };
    };
    table($('asked'), QHEAD, questionRows(qs.slice().sort(by('asked', 'refused', 'down')).slice(0, 50)));
    table($('refused'), QHEAD, questionRows(qs.filter(function (q) { return q.refused > 0; }).sort(by('refused', 'down', 'asked')).slice(0, 50)));
    table($('down'), QHEAD, questionRows(qs.filter(function (q) { return q.down > 0; }).sort(by('down', 'refused', 'asked')).slice(0, 50)));
    $('report').hidden = false;
  }

  function load() {
    try { sessionStorage.setItem('chatpaper:admin-key', keyInput.value.trim()); } catch (e) { /* storage off */ }
    status.textContent = 'Loading…';
    get('/api/v1/reports/questions' + params(), 'application/json').then(function (res) { return res.json(); }).then(function (rep) {
      status.textContent = 'Report generated ' + new Date(rep.generated).toLocaleString() + '.';
      show(rep);
    }, function (err) {
      status.textContent = 'The report could not be loaded: ' + err.message;
      $('report').hidden = true;
    });
  }

  form.addEventListener('submit', function (e) { e.preventDefault(); load(); });
  // The CSV goes through fetch too, so the key is sent as a header, not in the URL.
  $('csv').addEventListener('click', function (e) {
    e.preventDefault();
    get('/api/v1/reports/questions' + params({ format: 'csv' }), 'text/csv').then(function (res) { return res.blob(); }).then(function (blob) {
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'chatpaper-questions.csv';
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }, function (err) { status.textContent = 'The CSV could not be downloaded: ' + err.message; });
  });
  load();
})();

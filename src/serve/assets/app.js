// rhetor serve: the one script of every page. Data from the API is put into
// the page with textContent and attributes only, never as HTML.
(function () {
  'use strict';

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === 'text') { e.textContent = String(v); } else if (k === 'cls') { e.className = v; } else { e.setAttribute(k, v === true ? '' : String(v)); }
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) { return; }
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function $(id) { return document.getElementById(id); }
  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } }

  function api(method, path, body) {
    var init = { method: method, headers: {}, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        var message = data && data.error ? data.error.message : (r.ok ? '' : ('HTTP ' + r.status));
        return { ok: r.ok, status: r.status, data: data, message: message };
      });
    }, function (e) { return { ok: false, status: 0, data: null, message: 'network error: ' + e.message }; });
  }

  // Tooltips: any element with data-tip.
  var tip = $('tip');
  function place(x, y) {
    var w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.max(4, Math.min(x + 14, window.innerWidth - w - 8)) + 'px';
    tip.style.top = Math.max(4, y + 16 + h > window.innerHeight ? y - h - 10 : y + 16) + 'px';
  }
  function tipTarget(e) { var t = e.target; return t && t.closest ? t.closest('[data-tip]') : null; }
  document.addEventListener('mouseover', function (e) {
    var t = tipTarget(e);
    if (t) { tip.textContent = t.getAttribute('data-tip'); tip.hidden = false; place(e.clientX || 0, e.clientY || 0); } else { tip.hidden = true; }
  });
  document.addEventListener('mousemove', function (e) { if (!tip.hidden) { place(e.clientX || 0, e.clientY || 0); } });
  document.addEventListener('focusin', function (e) {
    var t = tipTarget(e);
    if (t) { var r = t.getBoundingClientRect(); tip.textContent = t.getAttribute('data-tip'); tip.hidden = false; place(r.left, r.bottom); } else { tip.hidden = true; }
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { tip.hidden = true; } });

  var DEV = {};      // id -> {label, definition, threshold}
  var ORDER = [];    // device ids in codebook order
  function loadDevices() {
    return api('GET', '/api/devices').then(function (r) {
      if (!r.ok) { throw new Error(r.message); }
      r.data.devices.forEach(function (d) { DEV[d.id] = d; ORDER.push(d.id); });
      return r.data;
    });
  }
  function devTip(id, score) {
    var d = DEV[id] || { label: id, definition: '' };
    return d.label + (score === undefined ? '' : ' (' + Number(score).toFixed(2) + ')') + ' \u2014 ' + d.definition;
  }

  // A sentence's devices flagged at `th` (id -> threshold).
  function flaggedAt(s, th) {
    return ORDER.filter(function (id) { return s.scores[id] !== undefined && s.scores[id] >= th[id]; });
  }

  // The sentence text cut at every mark boundary; marked pieces as <mark>.
  function sentenceBody(s, flagged) {
    var cps = Array.from(s.text);
    var marks = (s.marks || []).filter(function (m) { return flagged.indexOf(m.device) >= 0; });
    var cuts = [0, cps.length];
    marks.forEach(function (m) { cuts.push(Math.max(0, Math.min(m.start, cps.length)), Math.max(0, Math.min(m.end, cps.length))); });
    cuts = cuts.filter(function (v, i, a) { return a.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
    var out = [];
    for (var k = 0; k + 1 < cuts.length; k++) {
      var a = cuts[k], b = cuts[k + 1];
      var piece = cps.slice(a, b).join('');
      var over = marks.filter(function (m) { return m.start <= a && m.end >= b; });
      if (!over.length) { out.push(piece); continue; }
      var devs = over.map(function (m) { return m.device; }).filter(function (v, i, arr) { return arr.indexOf(v) === i; });
      var kinds = over.map(function (m) { return m.kind; }).filter(function (v, i, arr) { return arr.indexOf(v) === i; });
      out.push(el('mark', {
        cls: 'm ' + kinds.join(' ') + ' d-' + devs[0],
        'data-device': devs.join(' '),
        'data-tip': devs.map(function (d) { return devTip(d, s.scores[d]); }).join('\n')
      }, [piece]));
    }
    return out;
  }

  // Draws sentences grouped in paragraphs into `box`.
  function drawSentences(box, sentences, th) {
    clear(box);
    var p = null, para = -1, nflag = 0;
    sentences.forEach(function (s) {
      if (!p || s.paragraph !== para) { p = el('p'); box.appendChild(p); para = s.paragraph; }
      var flagged = flaggedAt(s, th);
      if (!flagged.length) { p.appendChild(el('span', { cls: 's' + (s.attributed ? ' attributed' : ''), 'data-index': s.index }, [s.text])); p.appendChild(document.createTextNode(' ')); return; }
      nflag++;
      var voice = el('span', { cls: 'voice ' + (s.attributed ? 'attributed' : 'author'), text: s.attributed ? 'attributed' : 'author' });
      var span = el('span', {
        cls: 's flagged' + (s.attributed ? ' attributed' : ''),
        tabindex: 0,
        'data-index': s.index,
        'data-devices': flagged.join(' '),
        'data-tip': (s.attributed ? 'Attributed speech' : "Author's voice") + ' \u00b7 framing ' + Number(s.framing).toFixed(2) + '\n' + flagged.map(function (d) { return devTip(d, s.scores[d]); }).join('\n')
      }, [voice].concat(sentenceBody(s, flagged)));
      span.style.setProperty('--f', String(s.framing));
      p.appendChild(span);
      p.appendChild(document.createTextNode(' '));
    });
    return nflag;
  }

  function drawLegend(box, ids) {
    clear(box);
    ids.forEach(function (id) {
      box.appendChild(el('span', { cls: 'd-' + id, 'data-device': id, 'data-tip': devTip(id) }, [el('b'), DEV[id] ? DEV[id].label : id]));
    });
  }

  // ---------------------------------------------------------------- Analyse
  function analysePage() {
    var th = {}, last = null;
    var form = $('analyse-form'), text = $('text'), status = $('status');
    function redraw() {
      if (!last) { return; }
      var n = drawSentences($('result'), last.sentences, th);
      var seen = ORDER.filter(function (id) { return last.sentences.some(function (s) { return flaggedAt(s, th).indexOf(id) >= 0; }); });
      drawLegend($('legend'), seen);
      $('summary').textContent = last.sentences.length + ' sentences, ' + n + ' flagged \u00b7 model ' + last.model;
    }
    loadDevices().then(function () {
      var box = $('sliders');
      ORDER.forEach(function (id) {
        th[id] = DEV[id].threshold;
        var out = el('output', { text: th[id].toFixed(2) });
        var input = el('input', { type: 'range', min: 0, max: 1, step: 0.01, value: th[id], id: 'th-' + id, 'aria-label': 'threshold of ' + DEV[id].label });
        input.addEventListener('input', function () { th[id] = Number(input.value); out.textContent = th[id].toFixed(2); redraw(); });
        box.appendChild(el('label', { cls: 'd-' + id, 'data-tip': devTip(id) }, [el('span', { text: DEV[id].label }), input, out]));
      });
    });
    function run() {
      if (!text.value.trim()) { status.textContent = 'Paste or drop a text first.'; return; }
      status.textContent = 'Scoring\u2026';
      api('POST', '/api/analyse', { text: text.value }).then(function (r) {
        if (!r.ok) { status.textContent = 'Error ' + r.status + ': ' + r.message; return; }
        status.textContent = '';
        last = r.data;
        redraw();
      });
    }
    form.addEventListener('submit', function (e) { e.preventDefault(); run(); });
    text.addEventListener('keydown', function (e) { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } });
    function readFile(f) {
      if (!f) { return; }
      var reader = new FileReader();
      reader.onload = function () { text.value = String(reader.result); run(); };
      reader.readAsText(f);
    }
    $('file').addEventListener('change', function (e) { readFile(e.target.files[0]); });
    text.addEventListener('dragover', function (e) { e.preventDefault(); text.classList.add('drop'); });
    text.addEventListener('dragleave', function () { text.classList.remove('drop'); });
    text.addEventListener('drop', function (e) { e.preventDefault(); text.classList.remove('drop'); readFile(e.dataTransfer.files[0]); });
    text.focus();
  }

  // ----------------------------------------------------------------- Corpus
  function corpusPage() {
    var offset = 0, limit = 25, total = 0, th = {}, groupCols = [];
    function params() {
      var p = new URLSearchParams();
      groupCols.forEach(function (c) { var v = $('g-' + c).value; if (v) { p.set('group.' + c, v); } });
      [['from', 'from'], ['to', 'to'], ['device', 'device'], ['min_score', 'min-score'], ['q', 'q']].forEach(function (pair) {
        var v = $(pair[1]).value; if (v) { p.set(pair[0], v); }
      });
      p.set('offset', offset); p.set('limit', limit);
      return p;
    }
    function load() {
      $('count').textContent = 'Loading\u2026';
      api('GET', '/api/corpus/articles?' + params().toString()).then(function (r) {
        if (!r.ok) { $('count').textContent = 'Error ' + r.status + ': ' + r.message; return; }
        total = r.data.total;
        var tbody = document.querySelector('#articles tbody');
        clear(tbody);
        r.data.articles.forEach(function (a) {
          var group = groupCols.length ? a.meta[groupCols[0]] : '';
          var tr = el('tr', { tabindex: 0, 'data-id': a.id }, [
            el('td', { cls: 'num', text: Number(a.score).toFixed(2) }),
            el('td', { text: a.date }),
            el('td', { text: group }),
            el('td', { text: a.title || a.id }),
            el('td', { cls: 'num', text: a.flagged + ' / ' + a.sentences })
          ]);
          tr.addEventListener('click', function () { open(a.id, tr); });
          tr.addEventListener('keydown', function (e) { if (e.key === 'Enter') { open(a.id, tr); } });
          tbody.appendChild(tr);
        });
        $('count').textContent = total + ' articles match';
        $('pageinfo').textContent = total ? (offset + 1) + '\u2013' + Math.min(offset + limit, total) + ' of ' + total : '';
        $('prev').disabled = offset === 0;
        $('next').disabled = offset + limit >= total;
      });
    }
    function open(id, tr) {
      document.querySelectorAll('#articles tr.open').forEach(function (x) { x.classList.remove('open'); });
      if (tr) { tr.classList.add('open'); }
      api('GET', '/api/corpus/article?id=' + encodeURIComponent(id)).then(function (r) {
        var box = $('article');
        clear(box);
        if (!r.ok) { box.textContent = 'Error ' + r.status + ': ' + r.message; return; }
        var a = r.data.article;
        box.appendChild(el('h2', { text: a.title || a.id }));
        box.appendChild(el('div', { cls: 'muted', text: Object.keys(a.meta).filter(function (k) { return k !== 'title' && a.meta[k]; }).map(function (k) { return k + ': ' + a.meta[k]; }).join(' \u00b7 ') + ' \u00b7 ' + a.sentences + ' sentences' }));
        var legend = el('div', { cls: 'legend' });
        box.appendChild(legend);
        var body = el('div', { id: 'article-body' });
        box.appendChild(body);
        drawSentences(body, r.data.sentences, th);
        drawLegend(legend, ORDER.filter(function (id) { return r.data.sentences.some(function (s) { return flaggedAt(s, th).indexOf(id) >= 0; }); }));
        box.scrollIntoView({ block: 'start' });
      });
    }
    Promise.all([loadDevices(), api('GET', '/api/corpus/meta')]).then(function (res) {
      ORDER.forEach(function (id) { th[id] = DEV[id].threshold; $('device').appendChild(el('option', { value: id, text: DEV[id].label })); });
      var meta = res[1].data || { groups: [] };
      var groups = $('groups');
      meta.groups.forEach(function (g) {
        groupCols.push(g.column);
        var sel = el('select', { id: 'g-' + g.column, 'data-column': g.column }, [el('option', { value: '', text: 'all' })]);
        g.values.forEach(function (v) { sel.appendChild(el('option', { value: v, text: v || '(empty)' })); });
        groups.appendChild(el('label', {}, [g.column + ' ', sel]));
        groups.appendChild(document.createTextNode(' '));
      });
      if (meta.date_min) { $('from').setAttribute('min', meta.date_min); $('to').setAttribute('min', meta.date_min); }
      if (meta.date_max) { $('from').setAttribute('max', meta.date_max); $('to').setAttribute('max', meta.date_max); }
      load();
    });
    $('filters').addEventListener('submit', function (e) { e.preventDefault(); offset = 0; load(); });
    $('prev').addEventListener('click', function () { offset = Math.max(0, offset - limit); load(); });
    $('next').addEventListener('click', function () { if (offset + limit < total) { offset += limit; load(); } });
  }

  // ------------------------------------------------------------------- Code
  function codePage() {
    var KEYS = '1234567890qwertyuiop'.split('');
    var coder = '', sample = null, item = null, chosen = {}, shown = false, visible = false, busy = false, suggestion = null;
    var input = $('coder');
    function status(t) { $('saved').textContent = t; }
    function drawLabels() {
      var box = $('labels');
      clear(box);
      sample.labels.forEach(function (l, k) {
        var b = el('button', {
          type: 'button', id: 'label-' + l.id, 'data-label': l.id, 'aria-pressed': chosen[l.id] ? 'true' : 'false',
          cls: (visible && suggestion && suggestion.indexOf(l.id) >= 0 ? 'suggested ' : '') + 'd-' + l.id,
          'data-tip': l.label + ' \u2014 ' + l.definition
        }, [el('kbd', { text: KEYS[k] || '' }), l.label]);
        b.addEventListener('click', function () { toggle(l.id); });
        box.appendChild(b);
      });
    }
    function toggle(id) { chosen[id] = !chosen[id]; drawLabels(); }
    function drawProgress(progress) {
      var box = $('progress');
      clear(box);
      progress.forEach(function (p) {
        box.appendChild(el('span', { 'data-stratum': p.stratum }, [(p.stratum || '(no stratum)') + ' ', el('meter', { min: 0, max: p.total, value: p.coded }), ' ' + p.coded + '/' + p.total]));
      });
    }
    function show(i) {
      var q = 'coder=' + encodeURIComponent(coder) + (i === undefined ? '' : '&i=' + i);
      return api('GET', '/api/code/item?' + q).then(function (r) {
        if (!r.ok) { status('Error ' + r.status + ': ' + r.message); return; }
        item = r.data;
        chosen = {};
        Object.keys(item.answer.labels).forEach(function (k) { if (item.answer.labels[k] === true) { chosen[k] = true; } });
        shown = !!item.answer.suggestion_shown;
        visible = false; suggestion = null;
        $('suggestion').textContent = '';
        $('suggest').textContent = 'Show model suggestion ';
        $('suggest').appendChild(el('kbd', { text: 's' }));
        drawProgress(item.progress);
        if (!item.row) {
          $('position').textContent = 'All ' + item.rows + ' sentences are coded. Thank you.';
          ['before', 'sentence', 'after'].forEach(function (id) { $(id).textContent = ''; });
          clear($('labels'));
          return;
        }
        $('position').textContent = 'Sentence ' + (item.i + 1) + ' of ' + item.rows + ' \u00b7 stratum ' + item.row.stratum + ' \u00b7 article ' + item.row.article_id + ', sentence ' + item.row.sentence_index;
        $('before').textContent = item.row.context_before;
        $('sentence').textContent = item.row.text;
        $('after').textContent = item.row.context_after;
        $('sentence').setAttribute('data-i', item.i);
        drawLabels();
      });
    }
    function save() {
      if (busy || !item || !item.row) { return; }
      busy = true;
      var labels = {};
      sample.labels.forEach(function (l) { labels[l.id] = !!chosen[l.id]; });
      status('Saving\u2026');
      api('POST', '/api/labels', { coder: coder, i: item.i, labels: labels, suggestion_shown: shown }).then(function (r) {
        if (!r.ok) { busy = false; status('Not saved: ' + r.message); return; }
        status('Saved sentence ' + (item.i + 1) + ' \u2713');
        show(item.i + 1).then(function () { busy = false; kappa(); });
      });
    }
    function back() { if (!busy && item && item.i > 0) { show(item.i - 1); } }
    function toggleSuggestion() {
      if (!item || !item.row) { return; }
      visible = !visible;
      if (!visible) { $('suggestion').textContent = ''; drawLabels(); return; }
      shown = true;
      $('suggestion').textContent = 'asking the model\u2026';
      api('GET', '/api/code/suggestion?i=' + item.i).then(function (r) {
        if (!r.ok) { $('suggestion').textContent = 'Error: ' + r.message; return; }
        suggestion = r.data.flagged.slice();
        if (r.data.framing) { suggestion.push('framing'); }
        $('suggestion').textContent = 'model suggests: ' + (r.data.flagged.length ? r.data.flagged.map(function (d) { return DEV[d] ? DEV[d].label : d; }).join(', ') : 'no device');
        drawLabels();
      });
    }
    function kappa() {
      var others = (sample.coders || []).filter(function (c) { return c !== coder; });
      if (!others.length) { $('kappa').textContent = ''; return; }
      Promise.all(others.map(function (o) { return api('GET', '/api/code/agreement?a=' + encodeURIComponent(coder) + '&b=' + encodeURIComponent(o)); })).then(function (rs) {
        $('kappa').textContent = rs.map(function (r, k) {
          if (!r.ok) { return ''; }
          var m = r.data.macro_kappa;
          return 'Agreement with ' + others[k] + ' on ' + r.data.agreement.sentences + ' shared sentences: macro Cohen\u2019s \u03ba ' + (m === null ? 'undefined' : m.toFixed(2));
        }).join(' \u00b7 ');
      });
    }
    function start(name) {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(name)) { $('coders').textContent = 'A coder name is 1\u201332 letters, digits, _ or -.'; return; }
      coder = name;
      try { localStorage.setItem('rhetor.coder', name); } catch (e) { /* private mode */ }
      var u = new URL(window.location.href); u.searchParams.set('coder', name); history.replaceState(null, '', u.toString());
      $('coding').hidden = false;
      show().then(function () { kappa(); document.activeElement && document.activeElement.blur && document.activeElement.blur(); });
    }
    Promise.all([loadDevices(), api('GET', '/api/code/sample')]).then(function (rs) {
      sample = rs[1].data;
      $('coders').textContent = sample.coders.length ? 'coders so far: ' + sample.coders.join(', ') : '';
      var fromUrl = new URLSearchParams(window.location.search).get('coder');
      var saved = null;
      try { saved = localStorage.getItem('rhetor.coder'); } catch (e) { saved = null; }
      var name = fromUrl || saved;
      if (name) { input.value = name; start(name); } else { input.focus(); }
    });
    $('coder-form').addEventListener('submit', function (e) { e.preventDefault(); start(input.value.trim()); });
    $('save').addEventListener('click', save);
    $('back').addEventListener('click', back);
    $('suggest').addEventListener('click', toggleSuggestion);
    document.addEventListener('keydown', function (e) {
      if (!coder || !sample || e.target === input || e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (e.key === 'Enter') { e.preventDefault(); save(); return; }
      if (e.key === 'Backspace') { e.preventDefault(); back(); return; }
      if (e.key === 's') { e.preventDefault(); toggleSuggestion(); return; }
      var k = KEYS.indexOf(e.key);
      if (k >= 0 && k < sample.labels.length) { e.preventDefault(); toggle(sample.labels[k].id); }
    });
  }

  // ---------------------------------------------------------------- Compare
  function comparePage() {
    var data = null;
    var coder = new URLSearchParams(location.search).get('coder') || '';
    function fmt(v) { return typeof v === 'number' ? v.toFixed(2) : '\u2013'; }
    function ciText(ci) { return ci ? ' [' + ci[0].toFixed(2) + ', ' + ci[1].toFixed(2) + ']' : ''; }
    function draw() {
      var id = $('measure').value, box = $('chart');
      clear(box);
      var rows = data.groups.map(function (g) { return { g: g, m: g.measures.filter(function (m) { return m.measure === id; })[0] }; }).filter(function (r) { return r.m; });
      var labelled = data.corrected && (data.labelled || []).indexOf(id) >= 0;
      var max = 0;
      rows.forEach(function (r) {
        [r.m.rate, r.m.rate_ci && r.m.rate_ci[1], r.m.corrected_rate, r.m.corrected_ci && r.m.corrected_ci[1]].forEach(function (v) { if (typeof v === 'number' && v > max) { max = v; } });
      });
      max = max || 1;
      function pct(v) { return (100 * Math.max(0, v) / max).toFixed(2) + '%'; }
      function span(track, cls, ci) { if (!ci) { return; } var e = el('div', { cls: 'ci ' + cls }); e.style.left = pct(ci[0]); e.style.width = pct(ci[1] - ci[0]); track.appendChild(e); }
      if (labelled) {
        box.appendChild(el('div', { cls: 'legend', id: 'compare-legend' }, [
          el('span', {}, [el('b', { cls: 'sw-naive' }), 'naive: flagged by the model']),
          el('span', {}, [el('b', { cls: 'sw-corrected' }), 'corrected: prediction-powered, with ' + data.coder + '\u2019s labels'])
        ]));
      } else if (data.corrected) {
        box.appendChild(el('p', { cls: 'muted', text: 'This measure is not a label column of the sample: naive rates only.' }));
      }
      rows.forEach(function (r) {
        var paired = labelled && typeof r.m.corrected_rate === 'number';
        var track = el('div', { cls: 'track' + (labelled ? ' paired' : '') });
        var bar = el('div', { cls: 'bar naive', 'data-tip': r.g.label + ' \u00b7 naive: ' + (r.m.rate === null ? 'no sentences' : fmt(r.m.rate) + ciText(r.m.rate_ci) + ' per 100 sentences') });
        bar.style.width = pct(r.m.rate || 0);
        track.appendChild(bar);
        span(track, 'naive', r.m.rate_ci);
        if (paired) {
          var tipText = r.g.label + ' \u00b7 corrected: ' + fmt(r.m.corrected_rate) + ciText(r.m.corrected_ci) + ' per 100 sentences; labels alone: ' + fmt(r.m.gold_rate) + ciText(r.m.gold_ci) + '; ' + r.m.labelled_sentences + ' labelled sentences in ' + r.m.labelled_articles + ' articles; precision ' + fmt(r.m.precision) + ', recall ' + fmt(r.m.recall);
          var cb = el('div', { cls: 'bar corrected', 'data-tip': tipText });
          cb.style.width = pct(r.m.corrected_rate);
          track.appendChild(cb);
          span(track, 'corrected', r.m.corrected_ci);
        } else if (labelled) {
          track.appendChild(el('div', { cls: 'nolabels', text: 'no labels in this group' }));
        }
        var value = r.m.rate === null ? '\u2013' : r.m.rate.toFixed(1);
        var num = el('span', { cls: 'num' }, [el('span', { cls: 'v-naive', text: value })]);
        if (labelled) { num.appendChild(el('span', { cls: 'v-corrected', text: paired ? r.m.corrected_rate.toFixed(1) : '\u2013' })); }
        box.appendChild(el('div', { cls: 'bar-row' + (r.g.small ? ' small' : '') + (paired ? ' has-corrected' : ''), 'data-group': r.g.label }, [
          el('span', { text: r.g.label + ' (' + r.g.articles + ' art.)' }), track, num
        ]));
      });
      var sig = $('significant');
      clear(sig);
      var pairs = data.significant.filter(function (p) { return p.measure === id; });
      sig.appendChild(el('h2', { text: 'Significant differences of the naive rates (Holm-adjusted p < 0.05)' }));
      if (data.tests !== 'ready') { sig.appendChild(el('p', { cls: 'muted', text: 'permutation tests: computing\u2026' })); return; }
      sig.appendChild(pairs.length ? el('ul', {}, pairs.map(function (p) {
        return el('li', { text: p.a + ' vs ' + p.b + ': ' + (p.rate_diff >= 0 ? '+' : '') + Number(p.rate_diff).toFixed(2) + ' per 100 sentences, p = ' + Number(p.rate_p_holm).toPrecision(2) });
      })) : el('p', { cls: 'muted', text: 'none for this measure' }));
    }
    function coders() {
      var box = $('ccoder');
      clear(box);
      if (!data.coders) { return; }
      if (!data.coders.length) { box.appendChild(el('span', { cls: 'muted', text: 'no labels yet: code sentences on the Code page to see corrected rates' })); return; }
      var sel = el('select', { id: 'coder-select', 'aria-label': 'labels of coder' }, data.coders.map(function (c) {
        return el('option', { value: c.coder, text: c.coder + ' (' + c.coded + ' coded)', selected: c.coder === data.coder });
      }));
      sel.addEventListener('change', function () { coder = sel.value; history.replaceState(null, '', '?coder=' + encodeURIComponent(coder)); load(); });
      box.appendChild(el('label', {}, ['labels of ', sel]));
      if (data.corrected_error) { box.appendChild(el('span', { cls: 'error', text: ' no corrected rates: ' + data.corrected_error })); }
    }
    function load() {
      api('GET', '/api/compare' + (coder ? '?coder=' + encodeURIComponent(coder) : '')).then(function (r) {
        if (!r.ok) { $('cstatus').textContent = 'Error ' + r.status + ': ' + r.message; return; }
        if (r.data.status !== 'ready') { $('cstatus').textContent = 'computing the comparison\u2026'; setTimeout(load, 700); return; }
        data = r.data;
        if (data.tests !== 'ready') { setTimeout(load, 2000); }
        $('cstatus').textContent = data.articles + ' articles, ' + data.sentences + ' sentences, by ' + data.by.join(' \u00d7 ') + ' \u00b7 flagged sentences per 100, with 95% intervals' + (data.corrected ? ' \u00b7 naive / corrected' : '');
        var sel = $('measure');
        if (!sel.options.length) {
          data.measures.forEach(function (m) { sel.appendChild(el('option', { value: m.id, text: m.label + (data.corrected && data.labelled.indexOf(m.id) >= 0 ? ' (labelled)' : '') })); });
        }
        coders();
        draw();
      });
    }
    $('measure').addEventListener('change', draw);
    load();
  }

  var page = document.body.getAttribute('data-page');
  if (page === 'analyse') { analysePage(); }
  if (page === 'corpus') { corpusPage(); }
  if (page === 'code') { codePage(); }
  if (page === 'compare') { loadDevices().then(comparePage); }
})();

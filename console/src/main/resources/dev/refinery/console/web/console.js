// The Refinery console: polls /api/snapshot and draws it with Apache ECharts (SVG renderer).
'use strict';
// The API asks for a token (scope read; originals to see rejected bytes; import to post runs). It
// comes in the page's fragment, http://host:8476/#token=..., which is never sent to a server, and
// is kept for the tab's session.
const apiToken = (() => {
  const m = /[#&]token=([^&]+)/.exec(window.location.hash);
  if (m) {
    sessionStorage.setItem('refinery-token', decodeURIComponent(m[1]));
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem('refinery-token') || '';
})();
const api = (path, init = {}) =>
  fetch(path, {...init, headers: {...(init.headers || {}), Authorization: 'Bearer ' + apiToken}});
// thumbnails of stored images, fetched once each with the token (an <img> cannot send it)
const thumbnails = {};
const thumbnail = sha => thumbnails[sha] || (thumbnails[sha] =
  api(`/api/images/${sha}/thumbnail`).then(r => r.ok ? r.blob() : null).then(b => b && URL.createObjectURL(b)));
const charts = {};
const fmt = n => n == null ? '–' : Number(n).toLocaleString('en');
const esc = s => String(s == null ? '' : s).replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));

function chart(id) {
  if (!charts[id]) {
    charts[id] = echarts.init(document.getElementById(id), null, {renderer: 'svg'});
    window.addEventListener('resize', () => charts[id].resize());
  }
  return charts[id];
}

function bars(id, entries, opts = {}) {
  const names = entries.map(e => e[0]);
  const values = entries.map(e => e[1]);
  chart(id).setOption({
    grid: {left: opts.left || 90, right: 60, top: 10, bottom: 25},
    tooltip: {trigger: 'axis'},
    xAxis: {type: 'value'},
    yAxis: {type: 'category', data: names, axisLabel: {width: (opts.left || 90) - 10, overflow: 'truncate'}},
    series: [{type: 'bar', data: values, label: {show: true, position: 'right', formatter: p => fmt(p.value)}}]
  }, true);
}

function render(s) {
  const tokens = s.tokens.by_stream.reduce((a, x) => a + x.tokens, 0);
  const batches = s.tokens.by_stream.reduce((a, x) => a + x.batches, 0);
  const up = s.health.services.filter(x => x.up).length;
  const kpis = {raw: s.documents.raw, clean: s.documents.clean, rejected: s.documents.rejected, tokens, batches};
  for (const [k, v] of Object.entries(kpis)) {
    const el = document.querySelector(`[data-kpi="${k}"]`);
    el.textContent = fmt(v);
    el.dataset.value = v;
  }
  document.querySelector('[data-kpi="services"]').textContent = `${up} / ${s.health.services.length}`;

  // throughput: records/s of the main topics over the sampled window
  const samples = s.throughput.samples;
  const topics = ['corpus.raw.v1', 'corpus.clean.v1', 'corpus.rejected.v1'];
  const tokenTopics = Object.keys(s.throughput.records).filter(t => t.startsWith('tokens.'));
  const series = topics.map(t => ({name: t, type: 'line', showSymbol: false, data: samples.map(x => [x.t, x.rates[t] || 0])}));
  series.push({name: 'token batches', type: 'line', showSymbol: false,
    data: samples.map(x => [x.t, tokenTopics.reduce((a, t) => a + (x.rates[t] || 0), 0)])});
  series.push({name: 'feedback.rm-pairs.v1', type: 'line', showSymbol: false, data: samples.map(x => [x.t, x.rates['feedback.rm-pairs.v1'] || 0])});
  chart('throughput').setOption({
    grid: {left: 50, right: 20, top: 40, bottom: 25}, tooltip: {trigger: 'axis'}, legend: {top: 0},
    xAxis: {type: 'time'}, yAxis: {type: 'value', name: 'records/s'}, series
  }, true);

  const lag = Object.entries(s.lag).map(([g, v]) => [g, v.total]);
  bars('lag', lag.length ? lag : [['(no consumer groups yet)', 0]], {left: 170});

  // rejections per minute, stacked by stage/rule
  const keys = [...new Set(s.rejections.per_minute.flatMap(m => Object.keys(m.counts)))];
  chart('rejections-time').setOption({
    grid: {left: 40, right: 20, top: 60, bottom: 25}, tooltip: {trigger: 'axis'}, legend: {top: 0, type: 'scroll'},
        xAxis: {type: 'category', data: s.rejections.per_minute.map(m => m.t.slice(5, 16).replace('T', ' '))}, yAxis: {type: 'value'},
    series: keys.map(k => ({name: k, type: 'bar', stack: 'r', data: s.rejections.per_minute.map(m => m.counts[k] || 0)}))
  }, true);
  const rules = s.rejections.by_rule.slice().sort((a, b) => a.count - b.count).map(r => [`${r.stage} · ${r.reason}`, r.count]);
  bars('rejections-rules', rules, {left: 230});

  const rows = s.rejections.examples.slice(0, 50).map((e, i) =>
    `<tr data-i="${i}"><td>${esc(e.at.replace('T', ' ').slice(0, 19))}</td><td>${esc(e.stage)}</td><td>${esc(e.rule)}</td><td>${esc(e.reason)}</td>` +
    `<td>${esc(e.source)}</td><td><code>${esc(e.doc_id.slice(0, 12))}</code></td><td>${esc(e.detail).slice(0, 140)}</td></tr>`).join('');
  const body = document.querySelector('#examples tbody');
  body.innerHTML = rows;
  body.onclick = ev => {
    const tr = ev.target.closest('tr');
    if (!tr) return;
    const e = s.rejections.examples[Number(tr.dataset.i)];
    const pre = document.getElementById('example');
    pre.hidden = false;
    pre.textContent = JSON.stringify(Object.assign({}, e, {original: undefined}), null, 2) +
      (e.image_index != null ? '' : '\n\n--- original (first 2,000 characters) ---\n' + e.original);
  };
  // refused images, as thumbnails of their kept bytes, with their reasons (a token with scope originals)
  // refused images with their reasons: a thumbnail of the bytes their rejection kept, else of the
  // stored image (a duplicate, one too small); both need a token with scope originals
  const images = s.rejections.examples.filter(e => e.image_index != null && e.original !== undefined);
  const box = document.getElementById('rejected-images');
  box.innerHTML = images.slice(0, 24).map((e, i) =>
    `<figure><img data-i="${i}" alt="image ${e.image_index} of ${esc(e.doc_id)}"><figcaption>${esc(e.reason)}<br><code>${esc((e.image_sha256 || '').slice(0, 12))}</code></figcaption></figure>`).join('') ||
    '<p class="muted">none refused yet (or the token lacks scope originals)</p>';
  box.querySelectorAll('img').forEach(img => {
    const e = images[Number(img.dataset.i)];
    if ((e.original || '').startsWith('data:image/png;base64,')) {
      img.src = e.original;
    } else if (e.image_sha256) {
      thumbnail(e.image_sha256).then(url => { if (url) img.src = url; });
    }
  });
  const imageCounts = Object.entries((s.images || {}).by_source || {});
  document.getElementById('images-source').textContent = imageCounts.length
    ? 'images in batches: ' + imageCounts.map(([k, v]) => `${k} ${fmt(v)}`).join(', ') : '';

  bars('tokens-stream', s.tokens.by_stream.map(x => [x.stream, x.tokens]));
  bars('tokens-source', Object.entries(s.tokens.by_source).sort((a, b) => a[1] - b[1]), {left: 110});
  chart('tokens-licence').setOption({
    tooltip: {trigger: 'item'},
    series: [{type: 'pie', radius: ['35%', '65%'], data: Object.entries(s.tokens.by_licence).map(([name, value]) => ({name, value})),
      label: {formatter: p => `${p.name}\n${fmt(p.value)}`}}]
  }, true);

  chart('loss').setOption({
    grid: {left: 50, right: 20, top: 40, bottom: 30}, tooltip: {trigger: 'axis'}, legend: {top: 0, type: 'scroll'},
        xAxis: {type: 'log', name: 'tokens', nameLocation: 'middle', nameGap: 20, axisLabel: {formatter: v => Number(v).toExponential(0)}},
    yAxis: {type: 'value', name: 'loss', scale: true},
    series: s.runs.map(r => ({name: r.run, type: 'line', showSymbol: false, data: r.curve.filter(p => p[2] != null && p[1] > 0).map(p => [p[1], p[2]])}))
  }, true);
    // every rank takes one batch a step
  const consumed = s.runs.map(r => [r.run, r.ranks.reduce((a, k) => a + k.step + 1, 0)]);
  bars('run-batches', consumed.length ? consumed : [['(no runs yet)', 0]], {left: 110});
  const waits = s.runs.flatMap(r => r.ranks.map(k => [`${r.run} · rank ${k.rank}`, Math.round(k.data_wait_fraction * 10000) / 100]));
  bars('wait', waits.length ? waits : [['(no runs yet)', 0]], {left: 150});

  const st = document.getElementById('status');
  st.textContent = `live · updated ${new Date().toLocaleTimeString()}` + (s.health.healthy ? '' : ' · attention: see Health');
}

async function refresh() {
  try {
    const response = await api('/api/snapshot');
    render(await response.json());
    document.body.dataset.loaded = 'true';
  } catch (e) {
    document.getElementById('status').textContent = 'console unreachable: ' + e;
  }
}

async function fit(ev) {
  if (ev) ev.preventDefault();
  const form = new FormData(document.getElementById('scaling-form'));
  const q = new URLSearchParams();
  for (const [k, v] of form.entries()) if (v) q.set(k, v);
  const response = await api('/api/scaling?' + q);
  const r = await response.json();
  const text = document.getElementById('scaling-text');
  if (!response.ok) {
    text.textContent = r.error;
    chart('scaling').clear();
    return;
  }
  const p = Object.entries(r.parameters).map(([k, v]) =>
    `${k.padEnd(6)} ${v.value.toPrecision(5).padStart(12)}  ± ${v.stderr.toPrecision(2)}   [${v.low.toPrecision(4)}, ${v.high.toPrecision(4)}]`).join('\n');
  const f = r.forecast;
  text.textContent = `${r.formula}\nfitted to ${r.runs} runs${r.excluded ? ` (${r.excluded} left out as outliers)` : ''}, Huber loss, bootstrap 95% intervals\n\n${p}\n\n` +
    `forecast at C = ${f.compute.toExponential(3)} FLOPs${f.params ? ` (N = ${f.params.toExponential(3)}, D = ${f.tokens.toExponential(3)})` : ''}:\n` +
    `loss ${f.loss.toFixed(4)}  [${f.low.toFixed(4)}, ${f.high.toFixed(4)}]`;
  chart('scaling').setOption({
    grid: {left: 55, right: 20, top: 30, bottom: 35}, tooltip: {trigger: 'item'}, legend: {top: 0},
        xAxis: {type: 'log', name: 'compute (FLOPs)', nameLocation: 'middle', nameGap: 22, axisLabel: {formatter: v => Number(v).toExponential(0)}},
    yAxis: {type: 'log', name: 'loss', scale: true},
    series: [
      {name: 'runs', type: 'scatter', symbolSize: 5, data: r.points.filter(x => !x.excluded).map(x => [x.compute, x.loss])},
      {name: 'left out', type: 'scatter', symbolSize: 5, itemStyle: {color: '#bbb'}, data: r.points.filter(x => x.excluded).map(x => [x.compute, x.loss])},
      {name: 'fit', type: 'line', showSymbol: false, data: r.curve.map(c => [c[0], c[1]])},
      {name: '95% low', type: 'line', showSymbol: false, lineStyle: {type: 'dashed', width: 1}, data: r.curve.map(c => [c[0], c[2]])},
      {name: '95% high', type: 'line', showSymbol: false, lineStyle: {type: 'dashed', width: 1}, data: r.curve.map(c => [c[0], c[3]])},
      {name: 'forecast', type: 'scatter', symbolSize: 12, symbol: 'diamond', data: [[f.compute, f.loss]],
        label: {show: true, position: 'left', formatter: () => f.loss.toFixed(3)}}
    ]
  }, true);
}

document.getElementById('scaling-form').addEventListener('submit', fit);
document.getElementById('import').addEventListener('click', async () => {
  const response = await api('/api/scaling/points', {method: 'POST', body: document.getElementById('csv').value});
  const r = await response.json();
  document.getElementById('import-status').textContent = response.ok ? `${r.runs} runs imported` : r.error;
  if (response.ok) {
    document.querySelector('#scaling-form [name=source]').value = 'csv';
    fit();
  }
});

refresh();
fit();
setInterval(refresh, 2000);

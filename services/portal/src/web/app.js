// The portal's only script (no framework, no build step): forms that call the JSON API with the
// page's CSRF token, live run updates over server-sent events, curves, the survey, the explorer.
'use strict';

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

async function api(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : {};
  if (!res.ok) throw Object.assign(new Error(data.reason ?? `${res.status} ${res.statusText}`), { code: data.error, status: res.status });
  return data;
}

// --- Forms: <form data-api="METHOD /api/…" data-then="reload|go:/path|show-link"> ------------------

/** A form's fields as the API's JSON (numbers as numbers, checkboxes as booleans, empty = absent). */
function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') body[el.name] = el.checked;
    else if (el.type === 'radio') { if (el.checked) body[el.name] = el.value; }
    else if (el.value !== '') body[el.name] = el.type === 'number' || el.type === 'range' ? Number(el.value) : el.value;
  }
  if (form.dataset.shape === 'survey') {
    for (const side of ['real', 'synthetic']) {
      const v = String(body[side] ?? '');
      const slash = v.indexOf('/');
      body[side] = { bucket: v.slice(0, slash), prefix: v.slice(slash + 1) };
    }
    body.classShares = body.classShares ? String(body.classShares).split(',').map(Number) : null;
  }
  return body;
}

document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
  event.preventDefault();
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  const [method, url] = form.dataset.api.split(' ');
  const error = form.querySelector('.error');
  if (error) error.textContent = '';
  const button = form.querySelector('button');
  if (button) button.disabled = true;
  try {
    const result = await api(method, url, method === 'DELETE' ? undefined : formBody(form));
    const then = form.dataset.then ?? 'reload';
    if (then === 'reload') location.reload();
    else if (then.startsWith('go:')) location.assign(then.slice(3).replace('{id}', encodeURIComponent(result.id ?? '')));
    else if (then === 'show-link') {
      const out = form.querySelector('.invite-link');
      out.textContent = `${location.origin}${result.path} (works once, until ${result.expiresAt.slice(0, 10)})`;
      out.dataset.link = `${location.origin}${result.path}`;
    }
  } catch (err) {
    if (error) error.textContent = err.message;
  } finally {
    if (button) button.disabled = false;
  }
});

// --- Curves: <svg data-plot="key,key"> drawn from <script id="ticks"> -------------------------------

const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700'];

function drawPlots(ticks) {
  for (const svg of document.querySelectorAll('svg[data-plot]')) {
    // `fid*` stands for every stat whose name starts with `fid`.
    const keys = svg.dataset.plot.split(',').flatMap((k) => (k.endsWith('*') ? [...new Set(ticks.flatMap((t) => Object.keys(t.stats).filter((s) => s.startsWith(k.slice(0, -1)))))] : [k]));
    const series = keys.map((k) => ticks.filter((t) => typeof t.stats[k] === 'number').map((t) => [t.kimg, t.stats[k]]));
    const all = series.flat();
    if (all.length === 0) { svg.innerHTML = '<text x="200" y="80" text-anchor="middle">no data yet</text>'; continue; }
    const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
    const [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
    const sx = (x) => 30 + ((x - x0) / (x1 - x0 || 1)) * 360;
    const sy = (y) => 140 - ((y - y0) / (y1 - y0 || 1)) * 130;
    svg.innerHTML = series
      .map((pts, i) => `<polyline fill="none" stroke="${COLOURS[i % 4]}" stroke-width="1.5" points="${pts.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ')}"><title>${keys[i]}</title></polyline>`)
      .join('') +
      `<text x="2" y="12">${y1.toPrecision(3)}</text><text x="2" y="140">${y0.toPrecision(3)}</text><text x="390" y="156" text-anchor="end">${x1.toFixed(2)} kimg</text>` +
      keys.map((k, i) => `<text x="${60 + i * 90}" y="156" fill="${COLOURS[i % 4]}">${k}</text>`).join('');
  }
}

const ticksBlock = document.getElementById('ticks');
const ticks = ticksBlock ? JSON.parse(ticksBlock.textContent) : [];
if (ticksBlock) drawPlots(ticks);

// --- Live updates ----------------------------------------------------------------------------------

const live = document.querySelector('[data-live]');
if (live) {
  const scope = live.dataset.live;
  const source = new EventSource(scope === 'all' ? '/api/events' : `/api/events?run=${encodeURIComponent(scope)}`);
  const set = (root, field, text) => { const el = root?.querySelector(`[data-field="${field}"]`); if (el) el.textContent = text; };
  const rowOf = (runId) => (scope === 'all' ? document.querySelector(`tr[data-run="${CSS.escape(runId)}"]`) : live);
  source.addEventListener('tick', (e) => {
    const d = JSON.parse(e.data);
    const root = rowOf(d.runId);
    if (scope === 'all') { if (root) set(root, 'progress', `${d.kimg.toFixed(2)} / ${d.totalKimg.toFixed(2)} kimg`); else return; }
    else {
      set(root, 'kimg', d.kimg.toFixed(2));
      if (typeof d.stats.adaP === 'number') set(root, 'adaP', d.stats.adaP.toFixed(3));
      // A tick's numbers can come in two events (a snapshot's FID after its losses): one entry per kimg.
      const known = ticks.find((t) => t.kimg === d.kimg);
      if (known) Object.assign(known.stats, d.stats);
      else ticks.push({ kimg: d.kimg, stats: d.stats });
      drawPlots(ticks);
    }
    set(root, 'status', 'running');
    document.body.dataset.lastTick = String(d.kimg);
  });
  source.addEventListener('run', (e) => {
    const d = JSON.parse(e.data);
    const root = rowOf(d.runId);
    if (!root) { if (scope === 'all') location.reload(); return; }
    if (d.status) { set(root, 'status', d.status); const el = root.querySelector('[data-field="status"]'); if (el) el.className = `status ${d.status}`; }
  });
  source.addEventListener('snapshot', (e) => {
    const d = JSON.parse(e.data);
    const box = document.getElementById('snapshots');
    if (!box || scope === 'all') return;
    const fig = document.createElement('figure');
    fig.className = 'snapshot';
    const cap = document.createElement('figcaption');
    cap.textContent = `${d.kimg.toFixed(2)} kimg`;
    fig.append(cap);
    if (d.grid) {
      const src = `/api/runs/${encodeURIComponent(d.runId)}/snapshots/${d.kimg}/grid.png`;
      const a = document.createElement('a');
      a.href = src;
      const img = document.createElement('img');
      img.alt = `sample grid at ${d.kimg.toFixed(2)} kimg`;
      img.src = src;
      a.append(img);
      fig.append(a);
    } else {
      const p = document.createElement('p');
      p.className = 'muted';
      p.textContent = d.reason ?? 'no grid';
      fig.append(p);
    }
    box.append(fig);
  });
  source.addEventListener('round', () => location.reload());
}

// --- The survey --------------------------------------------------------------------------------------

const survey = document.getElementById('survey');
if (survey) {
  const img = document.getElementById('lesion');
  const form = document.getElementById('answer');
  const position = document.getElementById('position');
  const message = document.getElementById('survey-message');
  const error = form.querySelector('.error');
  let current = null;

  const show = (p) => {
    current = p.next;
    if (p.survey.state !== 'open') {
      form.hidden = true; img.hidden = true;
      message.textContent = p.survey.state === 'paused' ? 'The operator paused the survey; come back later.' : 'The survey is closed.';
      position.textContent = `${p.answered} of ${p.total} answered.`;
      return;
    }
    if (!p.next) {
      form.hidden = true; img.hidden = true;
      position.textContent = `All ${p.total} images answered. Thank you — the results are shown here once the operator closes the survey.`;
      return;
    }
    position.textContent = `Image ${p.answered + 1} of ${p.total}`;
    img.hidden = false; form.hidden = false;
    img.dataset.itemId = p.next.itemId;
    const started = performance.now();
    img.onload = () => { document.body.dataset.imageMs = String(Math.round(performance.now() - started)); };
    img.src = p.next.image;
    form.reset();
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const body = formBody(form);
    body.itemId = current?.itemId;
    body.confidence = Number(body.confidence);
    body.classAnswer = body.classAnswer === undefined ? null : Number(body.classAnswer);
    const button = document.getElementById('submit-answer');
    button.disabled = true;
    try {
      show((await api('POST', '/api/expert/answers', body)).progress);
    } catch (err) {
      error.textContent = err.message;
      // Answered in another tab, or the survey changed: show where things stand now.
      if (err.status === 409) show(await api('GET', '/api/expert/progress'));
    } finally {
      button.disabled = false;
    }
  });
  api('GET', '/api/expert/progress').then(show, (err) => { error.textContent = err.message; });
}

const own = document.getElementById('own-results');
if (own) {
  api('GET', own.dataset.load).then(
    (r) => { own.textContent = `You answered ${r.answered} images, ${r.accuracy === null ? '–' : (r.accuracy * 100).toFixed(1) + ' %'} of them right; the ${r.experts} experts together: ${r.meanAccuracy === null ? '–' : (r.meanAccuracy * 100).toFixed(1) + ' %'}.`; },
    (err) => { own.textContent = err.message; },
  );
}

// --- The latent explorer -----------------------------------------------------------------------------

const explorer = document.getElementById('explorer');
if (explorer) {
  const select = document.getElementById('generator');
  const sliders = document.getElementById('sliders');
  const image = document.getElementById('explorer-image');
  const status = document.getElementById('explorer-status');
  const classRow = document.getElementById('class-row');
  const classSelect = document.getElementById('class');
  let timer;

  const url = () => {
    const amounts = [...sliders.querySelectorAll('input')].map((i) => i.value);
    const params = new URLSearchParams({ run: select.value, seed: document.getElementById('seed').value, psi: document.getElementById('psi').value, a: amounts.join(',') });
    if (!classRow.hidden) params.set('class', classSelect.value);
    return `/api/explorer/image.png?${params}`;
  };
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      status.textContent = 'rendering…';
      const started = performance.now();
      image.onload = () => { status.textContent = `rendered in ${Math.round(performance.now() - started)} ms`; };
      image.onerror = () => { status.textContent = 'could not render (see the portal log)'; };
      image.src = url();
    }, 120);
  };
  const loadDirections = async () => {
    const d = await api('GET', `/api/explorer/directions?run=${encodeURIComponent(select.value)}`);
    const random = d.directions.every((x) => x.method === 'random');
    document.getElementById('direction-source').textContent = random
      ? 'Random directions in W (the explainer has not left SeFa/GANSpace directions for this checkpoint).'
      : `Directions from the explainer: ${[...new Set(d.directions.map((x) => x.method))].join(', ')}.`;
    sliders.replaceChildren(...d.directions.map((dir) => {
      const label = document.createElement('label');
      label.textContent = `${dir.label} `;
      const input = document.createElement('input');
      Object.assign(input, { type: 'range', min: String(-d.steps), max: String(d.steps), step: String(d.steps / 20), value: '0' });
      label.append(input);
      return label;
    }));
    classRow.hidden = !d.conditional;
    classSelect.replaceChildren(...d.labels.map((l, i) => Object.assign(document.createElement('option'), { value: String(i), textContent: l })));
    refresh();
  };
  explorer.addEventListener('input', (e) => {
    if (e.target.id === 'psi') e.target.nextElementSibling.textContent = e.target.value;
    if (e.target !== select) refresh();
  });
  select.addEventListener('change', loadDirections);
  api('GET', '/api/explorer/generators').then((g) => {
    if (g.generators.length === 0) { status.textContent = 'No training has a checkpoint yet.'; return; }
    select.replaceChildren(...g.generators.map((x) => Object.assign(document.createElement('option'), { value: x.runId, textContent: `${x.name} (${x.kimg === null ? '?' : x.kimg.toFixed(1)} kimg, ${x.status})` })));
    loadDirections();
  }, (err) => { status.textContent = err.message; });
}

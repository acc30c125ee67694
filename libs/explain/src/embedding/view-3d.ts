/**
 * The interactive 3-D view of an embedding: one self-contained HTML page (inline data, inline
 * script, thumbnails as data URIs; nothing is fetched when it is opened). Drag to rotate, wheel to
 * zoom, a layout menu (t-SNE / UMAP), a colour menu (origin, class, tenant, set), and hovering a
 * point shows its thumbnail, id and labels.
 */

/** One embedded image. */
export interface ViewPoint {
  id: string;
  /** real / synthetic / projected. */
  origin: string;
  /** Class name. */
  label: string;
  /** Federation tenant, or '' when none. */
  tenant: string;
  /** Which dataset it came from. */
  set: string;
  /** Index into thumbnails, or −1. */
  thumb: number;
}

export interface ViewLayout {
  name: string;
  /** Row-major [points, 3]. */
  coordinates: ArrayLike<number>;
}

export interface View3dInput {
  title: string;
  points: ViewPoint[];
  layouts: ViewLayout[];
  /** PNG data URIs. */
  thumbnails: string[];
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function view3dHtml(input: View3dInput): string {
  for (const l of input.layouts) {
    if (l.coordinates.length !== input.points.length * 3) throw new Error(`view3dHtml: layout ${l.name} has ${l.coordinates.length} values for ${input.points.length} points × 3`);
  }
  const data = {
    points: input.points,
    layouts: input.layouts.map((l) => ({ name: l.name, xyz: Array.from(l.coordinates, (v) => Math.round(v * 1e4) / 1e4) })),
    thumbs: input.thumbnails,
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>
body{margin:0;font:14px system-ui,sans-serif;background:#111;color:#eee;overflow:hidden}
#bar{position:fixed;top:0;left:0;right:0;padding:6px 10px;background:#222d;display:flex;gap:14px;align-items:center}
#legend{position:fixed;bottom:8px;left:10px;background:#222d;padding:6px 10px;max-height:40vh;overflow:auto}
#legend span{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:5px}
#tip{position:fixed;pointer-events:none;background:#000e;padding:6px;border:1px solid #555;display:none}
#tip img{width:96px;height:96px;image-rendering:pixelated;display:block}
canvas{display:block}
</style></head><body>
<div id="bar"><b>${escapeHtml(input.title)}</b>
<label>layout <select id="layout"></select></label>
<label>colour by <select id="colour"><option>origin</option><option>label</option><option>tenant</option><option>set</option></select></label>
<span>drag: rotate · wheel: zoom · hover: image</span></div>
<canvas id="c"></canvas><div id="legend"></div><div id="tip"></div>
<script>
const DATA = ${scriptJson(data)};
const PALETTE = ['#4e79a7','#f28e2b','#e15759','#76b7b2','#59a14f','#edc948','#b07aa1','#ff9da7','#9c755f','#bab0ac'];
const canvas = document.getElementById('c'), ctx = canvas.getContext('2d');
const layoutSel = document.getElementById('layout'), colourSel = document.getElementById('colour');
const tip = document.getElementById('tip'), legend = document.getElementById('legend');
DATA.layouts.forEach((l, i) => { const o = document.createElement('option'); o.value = i; o.textContent = l.name; layoutSel.appendChild(o); });
let yaw = 0.6, pitch = 0.3, zoom = 1, drag = null, projected = [];
function normalised(xyz) {
  const n = xyz.length / 3, c = [0, 0, 0]; let r = 1e-9;
  for (let i = 0; i < n; i++) for (let a = 0; a < 3; a++) c[a] += xyz[i * 3 + a] / n;
  for (let i = 0; i < n; i++) r = Math.max(r, Math.hypot(xyz[i*3]-c[0], xyz[i*3+1]-c[1], xyz[i*3+2]-c[2]));
  return Array.from(xyz, (v, k) => (v - c[k % 3]) / r);
}
const layouts = DATA.layouts.map((l) => normalised(l.xyz));
function colours() {
  const key = colourSel.value, values = [...new Set(DATA.points.map((p) => p[key] || '—'))].sort();
  legend.innerHTML = values.map((v, i) => '<div><span style="background:' + PALETTE[i % PALETTE.length] + '"></span>' + v.replace(/[&<>]/g, '') + '</div>').join('');
  return DATA.points.map((p) => PALETTE[values.indexOf(p[key] || '—') % PALETTE.length]);
}
function draw() {
  canvas.width = innerWidth; canvas.height = innerHeight;
  const xyz = layouts[+layoutSel.value], cols = colours(), s = Math.min(innerWidth, innerHeight) * 0.4 * zoom;
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  projected = DATA.points.map((p, i) => {
    const x = xyz[i*3], y = xyz[i*3+1], z = xyz[i*3+2];
    const x1 = cy * x + sy * z, z1 = -sy * x + cy * z, y1 = cp * y - sp * z1, z2 = sp * y + cp * z1;
    const f = 3 / (3 + z2);
    return { i, sx: innerWidth / 2 + x1 * s * f, sy: innerHeight / 2 - y1 * s * f, z: z2, r: 2 + 2.5 * f };
  }).sort((a, b) => b.z - a.z);
  ctx.fillStyle = '#111'; ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const q of projected) { ctx.beginPath(); ctx.arc(q.sx, q.sy, q.r, 0, 7); ctx.fillStyle = cols[q.i]; ctx.globalAlpha = DATA.points[q.i].origin === 'real' ? 0.85 : 0.7; ctx.fill(); }
  ctx.globalAlpha = 1;
}
canvas.onmousedown = (e) => { drag = [e.clientX, e.clientY]; };
onmouseup = () => { drag = null; };
onmousemove = (e) => {
  if (drag) { yaw += (e.clientX - drag[0]) * 0.01; pitch += (e.clientY - drag[1]) * 0.01; drag = [e.clientX, e.clientY]; draw(); return; }
  let best = null, bd = 64;
  for (const q of projected) { const d = (q.sx - e.clientX) ** 2 + (q.sy - e.clientY) ** 2; if (d < bd) { bd = d; best = q; } }
  if (!best) { tip.style.display = 'none'; return; }
  const p = DATA.points[best.i];
  tip.innerHTML = (p.thumb >= 0 ? '<img src="' + DATA.thumbs[p.thumb] + '">' : '') + [p.id, p.origin, p.label, p.tenant, p.set].filter(Boolean).map((t) => String(t).replace(/[&<>]/g, '')).join('<br>');
  tip.style.display = 'block'; tip.style.left = e.clientX + 14 + 'px'; tip.style.top = e.clientY + 14 + 'px';
};
canvas.onwheel = (e) => { e.preventDefault(); zoom *= Math.exp(-e.deltaY * 0.001); draw(); };
layoutSel.onchange = colourSel.onchange = draw; onresize = draw; draw();
</script></body></html>
`;
}

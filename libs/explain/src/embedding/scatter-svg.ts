/**
 * The static 2-D picture of an embedding for the report: an SVG scatter, one colour per group,
 * with a legend. Small and dependency-free, so the report stays one self-contained file.
 */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** coordinates: row-major [n, 2]; groups: one name per point. */
export function scatterSvg(coordinates: ArrayLike<number>, groups: readonly string[], title: string, size = 360): string {
  const n = groups.length;
  if (coordinates.length !== n * 2) throw new Error(`scatterSvg: ${coordinates.length} values for ${n} points × 2`);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, coordinates[2 * i]!);
    maxX = Math.max(maxX, coordinates[2 * i]!);
    minY = Math.min(minY, coordinates[2 * i + 1]!);
    maxY = Math.max(maxY, coordinates[2 * i + 1]!);
  }
  const pad = 12;
  const span = Math.max(maxX - minX, maxY - minY) || 1;
  const names = [...new Set(groups)].sort();
  const legendWidth = 150;
  const dots = Array.from({ length: n }, (_, i) => {
    const x = pad + ((coordinates[2 * i]! - minX) / span) * (size - 2 * pad);
    const y = size - pad - ((coordinates[2 * i + 1]! - minY) / span) * (size - 2 * pad);
    return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${PALETTE[names.indexOf(groups[i]!) % PALETTE.length]}" fill-opacity="0.75"/>`;
  }).join('');
  const legend = names
    .map((name, k) => `<circle cx="${size + 10}" cy="${30 + k * 16}" r="5" fill="${PALETTE[k % PALETTE.length]}"/><text x="${size + 20}" y="${34 + k * 16}" font-size="11">${escapeXml(name)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size + legendWidth}" height="${size}" viewBox="0 0 ${size + legendWidth} ${size}" font-family="sans-serif"><rect width="${size}" height="${size}" fill="#fafafa" stroke="#ccc"/><text x="${size + 6}" y="14" font-size="12" font-weight="bold">${escapeXml(title)}</text>${dots}${legend}</svg>`;
}

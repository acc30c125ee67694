/**
 * The network flags the GAN benchmarks share (scripts/bench/gan.ts, gan-profile.ts), with the
 * NVlabs defaults; the same flags as scripts/bench/gan-pytorch.py.
 */
export const GAN_FLAGS = {
  res: { type: 'string', default: '32' },
  batch: { type: 'string', default: '16' },
  cbase: { type: 'string', default: '16384' },
  cmax: { type: 'string', default: '512' },
  map: { type: 'string', default: '2' },
  zdim: { type: 'string', default: '512' },
  wdim: { type: 'string', default: '512' },
} as const;

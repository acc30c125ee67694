import { z } from 'zod';

/** Numbers keyed by name (losses, scores, measures); NaN is not allowed on the wire. */
export const Numbers = z.record(z.string(), z.number());

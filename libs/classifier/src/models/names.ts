/** The penultimate layer whose output `dermagan classifier embed` writes (every architecture names it so). */
export const EMBEDDING_LAYER = 'embedding';
/** The output layer: one logit per image (sigmoid gives P(positive class)). */
export const LOGIT_LAYER = 'logit';

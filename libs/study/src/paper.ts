/**
 * The study's published numbers (Carrasco Limeros et al., "GAN-based generative modelling for
 * dermatological applications – comparative study"; ../shared/PAPER.md), shown beside ours.
 */

/** Table 1 (central training): KID in %, FID, precision, recall, PPL. */
export const PAPER_TABLE1 = [
  { model: 'ben-GAN', kidPercent: 0.42, fid: 7.99, precision: 0.77, recall: 0.45, ppl: 60 },
  { model: 'mal-GAN', kidPercent: 0.47, fid: 15.46, precision: 0.62, recall: 0.4, ppl: 51 },
  { model: 'cGAN (ADA)', kidPercent: 0.32, fid: 7.33, precision: 0.75, recall: 0.42, ppl: 193 },
  { model: 'cGAN (ADA, no colour)', kidPercent: 0.24, fid: 7.02, precision: 0.75, recall: 0.44, ppl: 101 },
] as const;

/** Table 2 (utility): accuracy and ROC-AUC in %, tested on the same real validation set. */
export const PAPER_TABLE2 = [
  { scenario: 'real', accuracyPercent: 97.8, aucPercent: 98.8 },
  { scenario: 'synth-GAN', accuracyPercent: 94.1, aucPercent: 94.2 },
  { scenario: 'aug-GAN', accuracyPercent: 97.8, aucPercent: 98.6 },
  { scenario: 'synth-cGAN', accuracyPercent: 94.7, aucPercent: 96.7 },
  { scenario: 'aug-cGAN', accuracyPercent: 97.8, aucPercent: 98.6 },
  { scenario: 'synth-cGAN (no colour)', accuracyPercent: 92.6, aucPercent: 92.7 },
  { scenario: 'aug-cGAN (no colour)', accuracyPercent: 97.9, aucPercent: 98.8 },
] as const;

export const PAPER_SETTINGS = {
  data: 'ISIC 2020 + 4,522 ISIC 2019 malignant: 37,648 images at 256², ~2% malignant in ISIC 2020',
  gan: 'StyleGAN2-ADA, 256², ADA bgc (and bg = no colour), model selection by FID/KID',
  classifier: 'EfficientNet-B2 (ImageNet), Adam 5e-4, ≤20 epochs, early stopping patience 3',
  metrics: 'fid50k_full, kid50k_full, pr50k3_full, ppl2_wend (Inception-v3 / VGG16 features)',
} as const;

/** The losses of nephron's method (../shared/docs/method.md): one documented loss per module. */
export { focalTversky, type FocalTverskyOptions } from './focal-tversky';
export { crossEntropy, CROSS_ENTROPY_EPSILON } from './cross-entropy';
export { softDice, type SoftDiceOptions } from './soft-dice';
export { clcLoss, REFERENCE_CLC, type ClcOptions, type ClcSelection } from './clc';
export { drawAnchors, ANCHOR_SAMPLINGS, type AnchorSampling } from './clc-anchors';
export { globalContrastiveLoss, type GlobalContrastiveOptions } from './global-contrastive';

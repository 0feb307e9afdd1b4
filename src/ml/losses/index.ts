/** The losses of nephron's method (../shared/docs/method.md): one documented loss per module. */
export { focalTversky, type FocalTverskyOptions } from './focalTversky';
export { softDice, type SoftDiceOptions } from './softDice';
export { clcLoss, type ClcOptions, type ClcSelection } from './clc';
export { globalContrastiveLoss, type GlobalContrastiveOptions } from './globalContrastive';

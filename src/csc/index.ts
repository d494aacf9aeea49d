/**
 * `csc`: convolutional sparse coding — Zeiler et al.'s "Deconvolutional Networks" (CVPR 2010)
 * problem: sparse feature maps whose convolutions with a dictionary of filters rebuild a signal.
 */
export { convBPDN } from './convBPDN.js';
export type { ConvBPDNOptions, ConvBPDNResult, CscProgress } from './convBPDN.js';
export { learnDictionary } from './learnDictionary.js';
export type { LearnDictionaryOptions, LearnDictionaryResult } from './learnDictionary.js';

import { NotificationType, RequestType, RequestType0 } from 'vscode-languageclient/node';
import type { FeatureMapParams, FeatureMapResult, FindingsChanged, FindingsOrigin, FindingsParams, FindingsResult } from '../../protocol/lsp';

/**
 * The language server's custom requests (`sightline/*`, see protocol/lsp.ts and docs/lsp.md),
 * typed for vscode-languageclient in the style of rust-analyzer's lsp_ext.ts.
 */
export const featureMap = new RequestType<FeatureMapParams, FeatureMapResult, void>('sightline/featureMap');
export const findings = new RequestType<FindingsParams, FindingsResult, void>('sightline/findings');
export const status = new RequestType0<FindingsOrigin, void>('sightline/status');
export const refresh = new RequestType0<FindingsOrigin, void>('sightline/refresh');
export const findingsChanged = new NotificationType<FindingsChanged>('sightline/findingsChanged');

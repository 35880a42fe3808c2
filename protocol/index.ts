// The one module daemon, extension and webviews all import: every wire message and every
// `--json` output is a zod schema here; `sightline schema` exports them as JSON Schema.
export * from './version';
export * from './errors';
export * from './model-card';
export * from './predict';
export * from './models';
export * from './stream';
export * from './feature-map';
export * from './findings';
export * from './lsp';
export * from './lineage';
export * from './slices';
export * from './metrics';
export * from './skew';
export * from './queries';
export * from './replay';
export * from './webview';
export * from './sharing';
export * from './gates';
export * from './eval';
export * from './compare';
export * from './drift';
export * from './quality';

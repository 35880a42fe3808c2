// The feature map: where each model feature is defined in the user's code. Pure logic plus file
// reading, no editor dependencies, so SARIF attribution and the CLI can use it as well as the
// language server.
export { buildFeatureMap, type BuildOptions } from './build';
export { readWorkspaceCards, type WorkspaceCard } from './model-cards';
export { sdkHintsFromTrace } from './sdk-hints';
export { findWorkspaces, readWorkspace, WORKSPACE_FILE, type Workspace } from './workspace';
export type { FeatureCodePaths } from './paths';

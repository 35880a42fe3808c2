import { z } from 'zod';
import { FeatureMap } from './feature-map';
import { Finding, FindingKind } from './findings';

/**
 * The language server's contract beyond standard LSP (`sightline lsp --stdio`): its settings,
 * its custom requests (rust-analyzer style, `sightline/<name>`), the notification it sends when
 * findings change, and the commands its code lenses and code actions carry.
 */

// ── settings: initializationOptions, or the `sightline` configuration section ──

export const LspDaemonSetting = z.union([
  /** Read `$SIGHTLINE_HOME/daemon.json` (default `~/.sightline`) and connect if that daemon answers. */
  z.literal('auto'),
  z.object({ port: z.number().int().min(1).max(65535), token: z.string().min(1) }),
]);
export type LspDaemonSetting = z.infer<typeof LspDaemonSetting>;

export const LspSettings = z.object({
  /** A trace file to read (read-only) when no daemon is used; relative to the workspace root. */
  trace: z.string().optional(),
  /** Where the daemon is. Default: `auto` when no `trace` is given. */
  daemon: LspDaemonSetting.optional(),
  /** Compact scores after each feature definition. Off by default: they are loud. */
  inlayHints: z.boolean().optional(),
});
export type LspSettings = z.infer<typeof LspSettings>;

// ── where findings come from ─────────────────────────────────────────────────

export const FindingsOrigin = z.object({
  /** `daemon`: live over WebSocket; `trace`: a file opened read-only; `none`: nothing configured or reachable. */
  kind: z.enum(['daemon', 'trace', 'none']),
  /** How findings are read: the daemon's `findings` query, or the trace file itself. */
  via: z.enum(['query', 'file']).nullable(),
  trace: z.string().nullable(),
  port: z.number().nullable(),
  /** Why the preferred source is not in use, or the last read error. */
  message: z.string().nullable(),
  loaded_at: z.string().nullable(),
  findings: z.number(),
});
export type FindingsOrigin = z.infer<typeof FindingsOrigin>;

// ── custom requests ──────────────────────────────────────────────────────────

/** `sightline/featureMap`: the feature map of every Sightline workspace under the client's folders. */
export const FEATURE_MAP_REQUEST = 'sightline/featureMap';
export const FeatureMapParams = z.object({ root: z.string().optional() });
export type FeatureMapParams = z.infer<typeof FeatureMapParams>;
export const FeatureMapResult = z.object({ workspaces: z.array(FeatureMap) });
export type FeatureMapResult = z.infer<typeof FeatureMapResult>;

/** `sightline/findings`: the findings the server knows, as it judges them. */
export const FINDINGS_REQUEST = 'sightline/findings';
export const FindingsParams = z.object({
  feature: z.string().optional(),
  kind: FindingKind.optional(),
  /** Also list findings that were marked as expected. Default false. */
  includeSuppressed: z.boolean().optional(),
});
export type FindingsParams = z.infer<typeof FindingsParams>;
export const FindingView = Finding.extend({
  above_threshold: z.boolean(),
  suppressed: z.boolean(),
  severity: z.enum(['error', 'warning', 'information']).nullable(),
});
export type FindingView = z.infer<typeof FindingView>;
export const FindingsResult = z.object({ origin: FindingsOrigin, findings: z.array(FindingView) });
export type FindingsResult = z.infer<typeof FindingsResult>;

/** `sightline/status`: where findings come from now. `sightline/refresh`: re-read them now. */
export const STATUS_REQUEST = 'sightline/status';
export const REFRESH_REQUEST = 'sightline/refresh';

/** Server → client notification after findings, suppressions or the feature map changed. */
export const FINDINGS_CHANGED_NOTIFICATION = 'sightline/findingsChanged';
export const FindingsChanged = z.object({ origin: FindingsOrigin });
export type FindingsChanged = z.infer<typeof FindingsChanged>;

// ── commands ─────────────────────────────────────────────────────────────────

/**
 * Commands carried by lenses and code actions. The `client` ones are implemented by the editor
 * side (the VS Code extension opens a panel); each receives the feature name as its only argument.
 * `markExpected` is executed by the server itself (`workspace/executeCommand`).
 */
export const LSP_COMMANDS = {
  showDrift: 'sightline.showDrift',
  showSkew: 'sightline.showSkew',
  showSlices: 'sightline.showSlices',
  showQuality: 'sightline.showQuality',
  traceFeature: 'sightline.traceFeature',
  markExpected: 'sightline.markExpected',
} as const;

export const MarkExpectedArgs = z.object({
  feature: z.string(),
  kind: FindingKind,
  /** The workspace root (folder of sightline.json) whose suppressions file gets the entry. */
  root: z.string(),
});
export type MarkExpectedArgs = z.infer<typeof MarkExpectedArgs>;

// ── `.sightline/suppressions.json` in the workspace ──────────────────────────

/**
 * A finding marked as expected. It stays suppressed while the same feature definition text
 * (training and serving, hashed) meets a finding of the same kind on the same baseline and
 * window; editing the code or analysing new data brings it back.
 */
export const Suppression = z.object({
  feature: z.string(),
  kind: FindingKind,
  /** sha256 of the training and serving definition texts. */
  definition_hash: z.string(),
  baseline: z.string().nullable(),
  window: z.string().nullable(),
  created: z.string(),
  /** The finding that was on screen, for the record. */
  finding_id: z.string().optional(),
});
export type Suppression = z.infer<typeof Suppression>;

export const SuppressionsFile = z.object({ version: z.literal(1), suppressions: z.array(Suppression) });
export type SuppressionsFile = z.infer<typeof SuppressionsFile>;

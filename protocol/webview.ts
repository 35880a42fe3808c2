import { z } from 'zod';
import { CompareReport } from './compare';
import { TraceResult } from './lineage';
import {
  BaselinesResult, DriftDistribution, DriftDistributionQuery, DriftQueryResult, DriftTimeline, DriftTimelineQuery,
  PredictionDetail, PredictionFilters, PredictionsPage, PredictionsQuery, RunSummary, RunsResult,
} from './queries';
import { ReplayReport } from './replay';
import { AnalysisWindow, SlicesResult } from './slices';
import { EventType } from './stream';

/**
 * Messages between the extension host and its webview panels (after gitkraken/vscode-gitlens's
 * typed IPC): each panel declares its *requests* (webview → host, answered by a `response` with
 * the same id), *commands* (webview → host, fire and forget) and *notifications* (host → webview).
 * Every message is a zod schema and is validated where it arrives: the host parses what a webview
 * posts with the panel's own protocol (an unknown method or a bad param is refused and logged),
 * the webview parses every notification and every response's result before it renders anything.
 *
 * Wire envelope (`postMessage` payloads):
 *   webview → host   { kind: 'command', method, params }
 *                    { kind: 'request', id, method, params }
 *   host → webview   { kind: 'response', id, result } | { kind: 'response', id, error: { code, message } }
 *                    { kind: 'notification', method, params }
 *
 * Start-up: the webview posts `ready`; the host answers with the `init` notification (the panel's
 * arguments and whether the trace is read-only), and again whenever the panel is re-targeted.
 * A page that re-targets itself says so with `argsChanged`, so the host's arguments always match
 * the page's; a page that loads with arguments other than those it saved treats them as new.
 */

export const WEBVIEW_PROTOCOL_VERSION = 1;

// ── message types ────────────────────────────────────────────────────────────

export interface RequestType<M extends string = string, P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly kind: 'request';
  readonly method: M;
  readonly params: P;
  readonly result: R;
}
export interface CommandType<M extends string = string, P extends z.ZodType = z.ZodType> {
  readonly kind: 'command';
  readonly method: M;
  readonly params: P;
}
export interface NotificationType<M extends string = string, P extends z.ZodType = z.ZodType> {
  readonly kind: 'notification';
  readonly method: M;
  readonly params: P;
}

export function ipcRequest<M extends string, P extends z.ZodType, R extends z.ZodType>(method: M, params: P, result: R): RequestType<M, P, R> {
  return { kind: 'request', method, params, result };
}
export function ipcCommand<M extends string, P extends z.ZodType>(method: M, params: P): CommandType<M, P> {
  return { kind: 'command', method, params };
}
export function ipcNotification<M extends string, P extends z.ZodType>(method: M, params: P): NotificationType<M, P> {
  return { kind: 'notification', method, params };
}

export type ParamsOf<T extends { params: z.ZodType }> = z.input<T['params']>;
export type ParsedParamsOf<T extends { params: z.ZodType }> = z.output<T['params']>;
export type ResultOf<T extends RequestType> = z.output<T['result']>;

// ── envelope ─────────────────────────────────────────────────────────────────

const Method = z.string().min(1).max(100);

export const WebviewCommandMessage = z.object({ kind: z.literal('command'), method: Method, params: z.unknown().optional() });
export const WebviewRequestMessage = z.object({ kind: z.literal('request'), id: z.number().int().nonnegative(), method: Method, params: z.unknown().optional() });
/** Anything a webview may post to its host. */
export const WebviewMessage = z.discriminatedUnion('kind', [WebviewCommandMessage, WebviewRequestMessage]);
export type WebviewMessage = z.infer<typeof WebviewMessage>;

export const WebviewError = z.object({ code: z.string(), message: z.string() });
export type WebviewError = z.infer<typeof WebviewError>;

export const HostResponseMessage = z.union([
  z.object({ kind: z.literal('response'), id: z.number().int().nonnegative(), result: z.unknown() }),
  z.object({ kind: z.literal('response'), id: z.number().int().nonnegative(), error: WebviewError }),
]);
export const HostNotificationMessage = z.object({ kind: z.literal('notification'), method: Method, params: z.unknown().optional() });
/** Anything a host may post to a webview. */
export const HostMessage = z.union([HostResponseMessage, HostNotificationMessage]);
export type HostMessage = z.infer<typeof HostMessage>;

// ── panels ───────────────────────────────────────────────────────────────────

export const PanelKind = z.enum(['drift', 'slices', 'lineage', 'predictions', 'compare']);
export type PanelKind = z.infer<typeof PanelKind>;

/** VS Code view type of each panel (`WebviewPanelSerializer`s are registered for these). */
export const PANEL_VIEW_TYPE: Record<PanelKind, string> = {
  drift: 'sightline.drift',
  slices: 'sightline.slices',
  lineage: 'sightline.lineage',
  predictions: 'sightline.predictions',
  compare: 'sightline.compare',
};

export const DriftArgs = z.object({ feature: z.string().max(200).optional(), baseline: z.string().max(100).optional() });
export const SlicesArgs = z.object({ feature: z.string().max(200).optional() });
export const LineageArgs = z.object({ target: z.string().min(1).max(1000) });
export const PredictionsArgs = z.object({ filter: PredictionFilters.optional() });
/**
 * A stored run (by id), or a report handed over directly: a replay/eval that just finished
 * (ReplayReport), or a comparison of two model versions on logged traffic (CompareReport).
 */
export const CompareArgs = z.union([z.object({ runId: z.string().min(1).max(200) }), z.object({ report: ReplayReport }), z.object({ report: CompareReport })]);
export const PANEL_ARGS = { drift: DriftArgs, slices: SlicesArgs, lineage: LineageArgs, predictions: PredictionsArgs, compare: CompareArgs } as const;
export type PanelArgs = { [K in PanelKind]: z.infer<(typeof PANEL_ARGS)[K]> };

/**
 * What a webview keeps with `setState` (VS Code hands it back after a reload, and to the panel
 * serializer): its arguments and its UI state (selected feature, sort, page, filters, …).
 */
export const PersistedPanelState = z.object({
  v: z.literal(WEBVIEW_PROTOCOL_VERSION),
  panel: PanelKind,
  args: z.unknown(),
  ui: z.record(z.string(), z.unknown()).default({}),
});
export type PersistedPanelState = z.infer<typeof PersistedPanelState>;

// ── shared by every panel ────────────────────────────────────────────────────

export const ReadyCommand = ipcCommand('ready', z.object({ panel: PanelKind, protocol: z.number().int() }));
export const OpenFileCommand = ipcCommand('openFile', z.object({ path: z.string().min(1).max(4000), line: z.number().int().positive().optional() }));
export const LogCommand = ipcCommand('log', z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string().max(10_000) }));
export const OpenLineageCommand = ipcCommand('openLineage', z.object({ target: z.string().min(1).max(1000) }));
export const OpenPredictionsCommand = ipcCommand('openPredictions', z.object({ filter: PredictionFilters }));
export const OpenSlicesCommand = ipcCommand('openSlices', z.object({ feature: z.string().max(200).optional() }));
/** The page re-targeted itself (a run or target picked in the panel): the host keeps these arguments for the next load. */
export const ArgsChangedCommand = ipcCommand('argsChanged', z.object({ args: z.unknown() }));
export const OpenDriftCommand = ipcCommand('openDrift', z.object({ feature: z.string().max(200).optional(), baseline: z.string().max(100).optional() }));

export const InitNotification = ipcNotification('init', z.object({
  panel: PanelKind,
  args: z.unknown(),
  readOnly: z.boolean(),
  /** Why it was sent: the first load, or the panel was revealed with new arguments. */
  reason: z.enum(['load', 'retarget']),
}));
/** Daemon stream events, coalesced: the view decides whether to refresh. */
export const DaemonEventNotification = ipcNotification('daemonEvent', z.object({ event: EventType, count: z.number().int().nonnegative(), data: z.array(z.unknown()).max(50) }));
/** The daemon connection came or went. */
export const ConnectionNotification = ipcNotification('connection', z.object({ connected: z.boolean(), message: z.string().optional() }));

const sharedCommands = [ReadyCommand, ArgsChangedCommand, OpenFileCommand, LogCommand, OpenLineageCommand, OpenPredictionsCommand, OpenSlicesCommand, OpenDriftCommand] as const;
const sharedNotifications = [InitNotification, DaemonEventNotification, ConnectionNotification] as const;

// ── drift diff ───────────────────────────────────────────────────────────────

export const DriftBaselinesRequest = ipcRequest('drift/baselines', z.object({}), BaselinesResult);
export const DriftReportRequest = ipcRequest('drift/report', z.object({ baseline: z.string().min(1).max(100), window: AnalysisWindow.default({}) }), DriftQueryResult);
export const DriftDistributionRequest = ipcRequest('drift/distribution', DriftDistributionQuery, DriftDistribution);
export const DriftTimelineRequest = ipcRequest('drift/timeline', DriftTimelineQuery, DriftTimeline);
/** Stores the drifted features as findings (refused on a read-only trace). */
export const DriftSaveRequest = ipcRequest('drift/save', z.object({ baseline: z.string().min(1).max(100), window: AnalysisWindow.default({}) }), z.object({ saved: z.number().int().nonnegative() }));

// ── failing slices ───────────────────────────────────────────────────────────

export const SlicesReportRequest = ipcRequest('slices/report', z.object({ window: AnalysisWindow.default({}) }), SlicesResult);

// ── lineage ──────────────────────────────────────────────────────────────────

export const LineageTraceRequest = ipcRequest('lineage/trace', z.object({ target: z.string().min(1).max(1000) }), TraceResult);

// ── prediction explorer ──────────────────────────────────────────────────────

export const PredictionsPageRequest = ipcRequest('predictions/page', PredictionsQuery, PredictionsPage);
export const PredictionDetailRequest = ipcRequest('predictions/detail', z.object({ id: z.string().min(1).max(100) }), PredictionDetail);

// ── replay / eval compare ────────────────────────────────────────────────────

/** The report a stored run holds: replay/eval (ReplayReport) or a model comparison (CompareReport, kind `compare`). */
export const CompareReportRequest = ipcRequest('compare/report', z.object({ runId: z.string().min(1).max(200) }), z.object({ run: RunSummary.nullable(), report: z.union([ReplayReport, CompareReport]) }));
export const CompareRunsRequest = ipcRequest('compare/runs', z.object({}), RunsResult);

// ── per-panel protocols ──────────────────────────────────────────────────────

export interface PanelProtocol {
  readonly panel: PanelKind;
  readonly requests: readonly RequestType[];
  readonly commands: readonly CommandType[];
  readonly notifications: readonly NotificationType[];
}

function panelProtocol(panel: PanelKind, requests: readonly RequestType[], commands: readonly CommandType[] = []): PanelProtocol {
  return { panel, requests, commands: [...sharedCommands, ...commands], notifications: sharedNotifications };
}

export const PANEL_PROTOCOLS: Record<PanelKind, PanelProtocol> = {
  drift: panelProtocol('drift', [DriftBaselinesRequest, DriftReportRequest, DriftDistributionRequest, DriftTimelineRequest, DriftSaveRequest]),
  slices: panelProtocol('slices', [SlicesReportRequest]),
  lineage: panelProtocol('lineage', [LineageTraceRequest]),
  predictions: panelProtocol('predictions', [PredictionsPageRequest, PredictionDetailRequest]),
  compare: panelProtocol('compare', [CompareReportRequest, CompareRunsRequest]),
};


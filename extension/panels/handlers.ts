/**
 * What each panel's requests and commands do on the host: daemon queries over the WebSocket,
 * opening files and other panels. Free of `vscode` (the services are injected) so the webview
 * tests run these very handlers against a real daemon.
 */
import {
  ArgsChangedCommand, CompareReportRequest, PANEL_ARGS, CompareRunsRequest, DriftBaselinesRequest, DriftDistributionRequest, DriftReportRequest, DriftSaveRequest,
  DriftTimelineRequest, LineageTraceRequest, LogCommand, OpenDriftCommand, OpenFileCommand, OpenLineageCommand, OpenPredictionsCommand,
  OpenSlicesCommand, PredictionDetailRequest, PredictionsPageRequest, ReadyCommand, SlicesReportRequest,
  type PanelArgs, type PanelKind,
} from '../../protocol/webview';
import { CompareReport } from '../../protocol/compare';
import { ReplayReport } from '../../protocol/replay';
import type { DriftQueryResult, RunResult } from '../../protocol/queries';
import { onCommand, onRequest, PanelError, type CommandHandler, type PanelHandlers, type PanelLog, type RequestHandler } from './controller';

export interface PanelServices {
  /** A typed query to the daemon over its WebSocket. */
  query<T>(method: string, params?: unknown): Promise<T>;
  openFile(path: string, line?: number): Promise<void>;
  /** Opens (or reveals and re-targets) another panel. */
  open<K extends PanelKind>(panel: K, args: PanelArgs[K]): void;
  log: PanelLog;
  readOnly: boolean;
}

/**
 * The handlers of one panel; `onReady` runs when its webview has loaded (the host then sends
 * `init`), `onArgs` when the page re-targeted itself (validated arguments of this panel).
 */
export function panelHandlers(kind: PanelKind, s: PanelServices, onReady: () => void, onArgs: (args: unknown) => void = () => undefined): PanelHandlers {
  const commands: CommandHandler[] = [
    onCommand(ReadyCommand, () => onReady()),
    onCommand(ArgsChangedCommand, (p) => {
      const args = PANEL_ARGS[kind].safeParse(p.args);
      if (args.success) onArgs(args.data);
      else s.log.warn(`${kind} webview: refused new arguments: ${args.error.issues[0]?.message ?? 'invalid'}`);
    }),
    onCommand(OpenFileCommand, (p) => s.openFile(p.path, p.line)),
    onCommand(LogCommand, (p) => s.log[p.level](`${kind} webview: ${p.message}`)),
    onCommand(OpenLineageCommand, (p) => s.open('lineage', { target: p.target })),
    onCommand(OpenPredictionsCommand, (p) => s.open('predictions', { filter: p.filter })),
    onCommand(OpenSlicesCommand, (p) => s.open('slices', p.feature ? { feature: p.feature } : {})),
    onCommand(OpenDriftCommand, (p) => s.open('drift', { ...(p.feature ? { feature: p.feature } : {}), ...(p.baseline ? { baseline: p.baseline } : {}) })),
  ];
  return { requests: requestHandlers(kind, s), commands };
}

function requestHandlers(kind: PanelKind, s: PanelServices): RequestHandler[] {
  switch (kind) {
    case 'drift':
      return [
        onRequest(DriftBaselinesRequest, () => s.query('baselines')),
        onRequest(DriftReportRequest, (p) => s.query('drift', { baseline: p.baseline, window: p.window, save: false })),
        onRequest(DriftDistributionRequest, (p) => s.query('drift_distribution', p)),
        onRequest(DriftTimelineRequest, (p) => s.query('drift_timeline', p)),
        onRequest(DriftSaveRequest, async (p) => {
          if (s.readOnly) throw new PanelError('read_only', 'this trace is open read-only (or the workspace is untrusted): findings are not saved');
          const result = await s.query<DriftQueryResult>('drift', { baseline: p.baseline, window: p.window, save: true });
          return { saved: result.findings.length };
        }),
      ];
    case 'slices':
      return [onRequest(SlicesReportRequest, (p) => s.query('slices', { window: p.window, save: false }))];
    case 'lineage':
      return [onRequest(LineageTraceRequest, (p) => s.query('trace', { target: p.target }))];
    case 'predictions':
      return [
        onRequest(PredictionsPageRequest, (p) => s.query('predictions', p)),
        onRequest(PredictionDetailRequest, (p) => s.query('prediction', { id: p.id })),
      ];
    case 'compare':
      return [
        onRequest(CompareReportRequest, async (p) => {
          const { run } = await s.query<RunResult>('run', { id: p.runId });
          // A model comparison (`sightline compare --save`, kind compare) or a replay/eval run.
          const report = run.kind === 'compare' ? CompareReport.safeParse(run.results) : ReplayReport.safeParse(run.results);
          if (!report.success) {
            const what = run.kind === 'compare' ? 'model comparison' : 'replay/eval';
            throw new PanelError('not_a_report', `run ${p.runId} (${run.kind}, ${run.status ?? 'no status'}) holds no ${what} report yet${run.results === null ? '' : `: ${report.error.issues[0]?.path.join('.')}: ${report.error.issues[0]?.message}`}`);
          }
          const { results: _results, gates: _gates, ...summary } = run;
          return { run: summary, report: report.data };
        }),
        onRequest(CompareRunsRequest, () => s.query('runs', { limit: 50 })),
      ];
  }
}

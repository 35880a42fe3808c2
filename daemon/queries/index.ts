/**
 * WebSocket queries of the editor's views (protocol/queries.ts): pages of predictions, one
 * prediction with its trace, the drift view's distribution and timeline, baselines, replay/eval
 * runs, failing slices. Each validates its params with its zod schema and answers aggregates only.
 */
import type { HttpServer } from '../server/http-server';
import { listBaselineSummaries } from './baselines';
import type { QueryContext } from './context';
import { driftDistribution, driftTimeline } from './drift-views';
import { predictionDetail, predictionsPage } from './predictions';
import { getRun, listRuns } from './runs';
import { failingSlices } from './slices';

export function registerEditorQueries(ctx: QueryContext, http: Pick<HttpServer, 'registerQuery'>): void {
  http.registerQuery('predictions', (params) => predictionsPage(ctx, params));
  http.registerQuery('prediction', (params) => predictionDetail(ctx, params));
  http.registerQuery('drift_distribution', (params) => driftDistribution(ctx, params));
  http.registerQuery('drift_timeline', (params) => driftTimeline(ctx, params));
  http.registerQuery('baselines', () => listBaselineSummaries(ctx));
  http.registerQuery('runs', (params) => listRuns(ctx, params));
  http.registerQuery('run', (params) => getRun(ctx, params));
  http.registerQuery('slices', (params) => failingSlices(ctx, params));
}

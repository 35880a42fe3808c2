/**
 * Evaluation: one model on labelled data (`sightline eval`, `POST /v1/eval`) — the replay engine
 * with no baseline (daemon/replay/run.ts) — and `sightline validate` (validate.ts).
 */
export { runEval } from '../replay/run';
export { validateModel, type ValidateOptions } from './validate';

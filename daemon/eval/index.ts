/**
 * Evaluation: `sightline validate` (validate.ts). Evaluating one model on labelled data
 * (`sightline eval`, `POST /v1/eval`) is the replay engine with no baseline: executeRun in
 * daemon/replay/run.ts with `{ kind: 'eval' }`.
 */
export { validateModel, type ValidateOptions } from './validate';

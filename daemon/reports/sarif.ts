/**
 * SARIF 2.1.0 of a replay or evaluation, for code scanning annotations on the feature code:
 *
 * - `sightline/slice-regression` (error): one result per regressed slice and definition of a
 *   feature in its predicates — the feature's training and serving definitions from the feature
 *   map, so a regression on `origin == ORD` lands on `origin` in features.py and in
 *   serving/features.ts;
 * - `sightline/gate-failed` (error): a failed gate, at the line that declares it (sightline.json
 *   or the gates file) when known;
 * - `sightline/metric-regression` (warning): an overall metric whose delta is a regression, at
 *   the candidate's model card when it is in the repository;
 * - `sightline/labels-incomplete` (warning) and `sightline/prediction-drift` (note).
 *
 * Paths are relative to `root` (the repository root, base id SRCROOT), `/`-separated.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReplayReport } from '../../protocol';
import { sidecarPath } from '../runtime/model-card';
import { VERSION } from '../version';
import { interval, num, ref, signed, slice } from './format';

export interface SarifOptions {
  /** Repository root: artifact URIs are relative to it. */
  root: string;
}

interface Rule {
  id: string;
  name: string;
  short: string;
  full: string;
  level: 'error' | 'warning' | 'note';
}

const RULES: Rule[] = [
  { id: 'sightline/slice-regression', name: 'SliceRegression', level: 'error', short: 'The candidate model is significantly worse than the baseline on a slice of the traffic', full: 'On the rows of this slice the candidate\'s per-row loss is significantly above the baseline\'s on the same rows (paired t-test, Benjamini–Hochberg across slices). The slice is defined by this feature; check its feature code on both paths.' },
  { id: 'sightline/gate-failed', name: 'GateFailed', level: 'error', short: 'A declared Sightline gate failed', full: 'A gate declared for this run (a --gate flag, a gates file or "gates" in sightline.json) did not hold.' },
  { id: 'sightline/metric-regression', name: 'MetricRegression', level: 'warning', short: 'An overall metric of the candidate is significantly worse than the baseline\'s', full: 'The 95 % interval of candidate − baseline excludes 0 on the bad side for this metric.' },
  { id: 'sightline/labels-incomplete', name: 'LabelsIncomplete', level: 'warning', short: 'Labels look incomplete: metrics may lie', full: 'Label coverage is low, or the positive rate is far from the reference (labels still arriving, or mislabelled).' },
  { id: 'sightline/prediction-drift', name: 'PredictionDrift', level: 'note', short: 'The candidate\'s scores are distributed differently from the baseline\'s', full: 'Drift of the candidate\'s scores against the baseline\'s on the same rows (PSI / Wasserstein).' },
];

type Json = Record<string, unknown>;

export function replaySarif(r: ReplayReport, opts: SarifOptions): Json {
  const root = path.resolve(opts.root);
  const results: Json[] = [];
  const ruleIndex = (id: string): number => RULES.findIndex((x) => x.id === id);
  const location = (file: string, line: number | null): Json => {
    const abs = path.resolve(file);
    const rel = path.relative(root, abs);
    const artifactLocation = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? { uri: rel.split(path.sep).join('/'), uriBaseId: 'SRCROOT' } : { uri: pathToFileURL(abs).href };
    return { physicalLocation: { artifactLocation, ...(line ? { region: { startLine: line } } : {}) } };
  };
  const result = (ruleId: string, message: string, locations: Json[], fingerprint: string, properties: Json = {}): void => {
    const rule = RULES[ruleIndex(ruleId)]!;
    results.push({
      ruleId, ruleIndex: ruleIndex(ruleId), level: rule.level,
      message: { text: message },
      ...(locations.length ? { locations } : {}),
      partialFingerprints: { sightlineFinding: fingerprint },
      properties: { run_id: r.run_id, ...properties },
    });
  };

  const models = r.baseline ? `${ref(r.candidate)} vs ${ref(r.baseline)}` : ref(r.candidate);
  // Results that belong to no feature line sit on the candidate's model card when it is in the repository.
  const card = sidecarPath(r.candidate.path ?? '');
  const cardLoc = r.candidate.path && existsSync(card) ? [location(card, 1)] : [];
  const key = (file: string): string => {
    const rel = path.relative(root, path.resolve(file));
    return rel.startsWith('..') ? path.resolve(file) : rel.split(path.sep).join('/');
  };
  for (const s of r.slice_regressions) {
    const what = `${models}: on the slice ${slice(s.predicates)} (${s.n} rows) the candidate's ${s.metric} is ${num(s.candidate)} against the baseline's ${num(s.baseline)} (Δ ${signed(s.delta)}, 95 % CI ${interval(s.ci)}, adjusted p ${num(s.p_adjusted, 4)}).`;
    const locs = s.locations ?? [];
    if (locs.length === 0) result('sightline/slice-regression', what, cardLoc, `slice:${slice(s.predicates)}`, { n: s.n, delta: s.delta });
    for (const l of locs) {
      result('sightline/slice-regression', `${what} The slice is defined by feature "${l.feature}", defined here.`, [location(l.file, l.line)], `slice:${slice(s.predicates)}:${l.feature}:${key(l.file)}`, { n: s.n, delta: s.delta, feature: l.feature });
    }
  }
  for (const g of r.gates.filter((x) => !x.passed)) {
    const locs = g.source?.file && existsSync(g.source.file) ? [location(g.source.file, g.source.line)] : cardLoc;
    result('sightline/gate-failed', `Gate "${g.expr}" failed on ${models}: ${g.message ?? `value ${num(g.value)}`}.`, locs, `gate:${g.expr}`, { value: g.value });
  }
  for (const d of r.overall.deltas.filter((x) => x.regression)) {
    result('sightline/metric-regression', `${models}: ${d.metric} ${num(d.baseline)} → ${num(d.candidate)} (Δ ${signed(d.delta)}, 95 % CI ${interval(d.ci)}, ${d.method ?? ''}).`, cardLoc, `metric:${d.metric}`, { delta: d.delta });
  }
  if (!r.label_sanity.ok) result('sightline/labels-incomplete', r.label_sanity.warnings.join(' '), cardLoc, 'labels', { coverage: r.label_sanity.coverage });
  if (r.prediction_drift?.drift) result('sightline/prediction-drift', `${models}: the candidate's scores drift from the baseline's (${r.prediction_drift.method} ${num(r.prediction_drift.score)} ≥ ${r.prediction_drift.threshold}).`, cardLoc, 'prediction-drift');

  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'Sightline',
          version: VERSION,
          semanticVersion: /^\d+\.\d+\.\d+/.test(VERSION) ? VERSION : undefined,
          informationUri: 'https://github.com/sightline/sightline',
          rules: RULES.map((x) => ({ id: x.id, name: x.name, shortDescription: { text: x.short }, fullDescription: { text: x.full }, defaultConfiguration: { level: x.level } })),
        },
      },
      originalUriBaseIds: { SRCROOT: { uri: pathToFileURL(root + path.sep).href } },
      invocations: [{ executionSuccessful: true, startTimeUtc: r.started, endTimeUtc: r.ended }],
      results,
      properties: { run_id: r.run_id, kind: r.kind, passed: r.passed, trace: r.trace ?? null },
    }],
  };
}

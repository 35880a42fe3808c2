import { z } from 'zod';
import { FeatureKind } from './model-card';

/**
 * The feature map: where each model feature is defined in the user's code, on the training side
 * and on the serving side. Built by `daemon/featuremap`, served by the language server
 * (`sightline/featureMap`), reused by SARIF attribution and the extension.
 */

export const FeatureSide = z.enum(['training', 'serving']);
export type FeatureSide = z.infer<typeof FeatureSide>;

/** Where a location came from, highest precedence first. */
export const FeatureMapSource = z.enum(['config', 'sdk', 'static']);
export type FeatureMapSource = z.infer<typeof FeatureMapSource>;

/**
 * What kind of code defines the feature there. Ranked for static discovery:
 * `function` (a function/const named after the feature) above `assignment` (`df["f"] =`,
 * `row.f =`, SQL `AS f`) above `key` (a dict/object-literal key that assembles features).
 * `unknown` is a config or SDK location whose line matches no pattern.
 */
export const DefinitionKind = z.enum(['function', 'assignment', 'alias', 'key', 'unknown']);
export type DefinitionKind = z.infer<typeof DefinitionKind>;

export const SourceLanguage = z.enum(['python', 'typescript', 'javascript', 'sql', 'other']);
export type SourceLanguage = z.infer<typeof SourceLanguage>;

export const CodeLocation = z.object({
  /** Absolute path on this machine. */
  file: z.string(),
  /** Path relative to the workspace root (the folder of sightline.json), `/`-separated (SARIF uses it). */
  relative: z.string(),
  /** 1-based line of the definition (where the feature's name is). */
  line: z.number().int().min(1),
  /** 1-based column of the feature's name on that line (1 when unknown). */
  column: z.number().int().min(1),
  /** 1-based column just past the name (= column when unknown). */
  endColumn: z.number().int().min(1),
  /** Last line of the definition's body (1-based, inclusive): a function's block, else `line`. */
  endLine: z.number().int().min(1),
  kind: DefinitionKind,
  language: SourceLanguage,
  side: FeatureSide.optional(),
  source: FeatureMapSource,
});
export type CodeLocation = z.infer<typeof CodeLocation>;

export const FeatureMapStatus = z.enum(['mapped', 'ambiguous', 'unmapped']);
export type FeatureMapStatus = z.infer<typeof FeatureMapStatus>;

export const FeatureMapEntry = z.object({
  name: z.string(),
  kind: FeatureKind.optional(),
  training: CodeLocation.optional(),
  serving: CodeLocation.optional(),
  /** Lower-ranked mentions, mentions outside the feature-code paths, and ambiguous candidates. */
  others: z.array(CodeLocation),
  status: FeatureMapStatus,
  /** Highest-precedence source that produced `training` or `serving` (`static` when neither). */
  source: FeatureMapSource,
});
export type FeatureMapEntry = z.infer<typeof FeatureMapEntry>;

export const FeatureMapProblemCode = z.enum([
  'ambiguous', // several equally ranked definitions on one side
  'unmapped', // no definition found anywhere
  'missing_side', // found on one side only
  'outside_feature_code', // found, but only in files that are neither training nor serving code
  'bad_location', // a config or SDK location points to a missing file or line
  'bad_config', // sightline.json is unreadable or malformed
  'no_feature_code', // no training/serving paths configured: nothing can be classified
]);
export type FeatureMapProblemCode = z.infer<typeof FeatureMapProblemCode>;

export const FeatureMapProblem = z.object({
  code: FeatureMapProblemCode,
  feature: z.string().optional(),
  side: FeatureSide.optional(),
  message: z.string(),
  /** For `ambiguous`: the competing definitions. */
  candidates: z.array(CodeLocation).optional(),
});
export type FeatureMapProblem = z.infer<typeof FeatureMapProblem>;

export const FeatureMap = z.object({
  /** The workspace root: the folder holding sightline.json. */
  root: z.string(),
  features: z.array(FeatureMapEntry),
  problems: z.array(FeatureMapProblem),
});
export type FeatureMap = z.infer<typeof FeatureMap>;

/**
 * The optional `features` key of a workspace `sightline.json`: explicit locations, which win over
 * everything else. Values are `"path:line"` (or just `"path"`, then the feature is looked up in
 * that file), paths relative to the sightline.json.
 */
export const FeatureMapConfig = z.record(
  z.string(),
  z.object({ training: z.string().min(1).optional(), serving: z.string().min(1).optional() }),
);
export type FeatureMapConfig = z.infer<typeof FeatureMapConfig>;

/** A code location recorded by an SDK with a lineage component run. */
export const FeatureHint = z.object({
  feature: z.string(),
  /** Absolute, or relative to the workspace root; paths from another machine are matched by suffix. */
  file: z.string(),
  line: z.number().int().min(1),
});
export type FeatureHint = z.infer<typeof FeatureHint>;

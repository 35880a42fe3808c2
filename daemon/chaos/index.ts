import { randomInt } from 'node:crypto';
import { SightlineError } from '../../protocol';
import { ChaosInjector } from './injector';
import { loadChaosConfig } from './spec';

export { ChaosInjector, ChaosRequest, CHAOS_COLUMN, type ChaosStats } from './injector';
export { ChaosFault, loadChaosConfig, parseChaosSpec, faultLabel, describeFault } from './spec';

/**
 * Builds the injector of `serve --chaos SPEC… [--chaos-seed N]`, or null without specs. The seed
 * comes from --chaos-seed, else the chaos file, else is drawn at random (and logged, so a run can
 * be reproduced).
 */
export function chaosFromOptions(specs: string[], seed: string | undefined): ChaosInjector | null {
  if (specs.length === 0) {
    if (seed !== undefined) throw new SightlineError('invalid_request', '--chaos-seed needs --chaos SPEC');
    return null;
  }
  const config = loadChaosConfig(specs);
  if (config.faults.length === 0) throw new SightlineError('invalid_request', '--chaos: the chaos file lists no faults');
  let s = config.seed;
  if (seed !== undefined) {
    const n = Number(seed);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new SightlineError('invalid_request', `--chaos-seed must be an integer in [0, 4294967295], got ${seed}`);
    s = n;
  }
  return new ChaosInjector(config.faults, s ?? randomInt(0, 0xffffffff));
}

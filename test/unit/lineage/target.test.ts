/** Lineage targets: a feature name resolves to the newest model that takes that feature. */
import { expect, test } from 'vitest';
import { resolveTarget } from '../../../daemon/lineage/target';
import { Builder, T0 } from './builder';

const noPredictions = async (): Promise<null> => null;

test('a feature name traces the newest model whose card has it; an unknown name is a typed not_found', async () => {
  const b = new Builder();
  const v1 = b.model('m1', 'delay', 'v1');
  const v2 = b.model('m2', 'delay', 'v2');
  const other = b.model('m3', 'churn', 'v1');
  Object.assign(v1, { features: ['distance', 'route_delay_rate'], first_seen: T0 });
  Object.assign(v2, { features: ['distance', 'route_delay_rate'], first_seen: T0 + 1000 });
  Object.assign(other, { features: ['tenure'], first_seen: T0 + 2000 });
  const index = b.index();
  expect(await resolveTarget({ target: 'route_delay_rate' }, index, noPredictions)).toEqual({ type: 'model', model: v2 });
  expect(await resolveTarget({ target: 'tenure' }, index, noPredictions)).toEqual({ type: 'model', model: other });
  await expect(resolveTarget({ target: 'no_such_feature' }, index, noPredictions)).rejects.toMatchObject({ code: 'not_found' });
});

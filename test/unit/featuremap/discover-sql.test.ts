import { describe, expect, it } from 'vitest';
import { discoverSql } from '../../../daemon/featuremap/discover-sql';

const SOURCE = `-- features for the delay model: x AS origin (comment)
SELECT
  extract(hour FROM dep_time) AS dep_hour,
  CAST(distance AS distance) AS "distance",
  'a AS origin' AS label,
  upper(origin_code) as origin
FROM flights /* AS route_delay_rate */
`;

describe('discoverSql', () => {
  const found = discoverSql(SOURCE, new Set(['dep_hour', 'distance', 'origin', 'route_delay_rate']));

  it('finds column aliases, quoted or not, in any case', () => {
    expect(found.map((c) => [c.name, c.line, c.column, c.kind])).toEqual([
      ['dep_hour', 3, 34, 'alias'],
      ['distance', 4, 34, 'alias'],
      ['origin', 6, 25, 'alias'],
    ]);
  });

  it('ignores comments, string literals and CAST target types', () => {
    expect(found.filter((c) => c.name === 'route_delay_rate')).toEqual([]);
    expect(found.filter((c) => c.name === 'distance')).toHaveLength(1);
  });
});

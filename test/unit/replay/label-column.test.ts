/**
 * A model's label output becomes one class per row. int64 labels are read as two 32-bit halves
 * (no BigInt per row); every value must come out as the number it is, negative and beyond 32 bits
 * included, and other element types as they are.
 */
import type * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { labelColumn } from '../../../daemon/replay/models';

const tensor = (data: ArrayLike<unknown>): ort.Tensor => ({ data, dims: [data.length], size: data.length }) as unknown as ort.Tensor;

describe('labelColumn', () => {
  test('int64 labels: small, negative, 32-bit limits and beyond', () => {
    const values = [0n, 1n, -1n, 7n, 2147483647n, -2147483648n, 2147483648n, -2147483649n, 2n ** 40n + 3n, -(2n ** 40n)];
    expect(labelColumn(tensor(BigInt64Array.from(values)), values.length)).toEqual(values.map((v) => Number(v)));
  });

  test('an int64 view into a larger buffer reads its own rows', () => {
    const buffer = BigInt64Array.from([9n, 1n, 0n, -5n, 9n]);
    const view = new BigInt64Array(buffer.buffer, 8, 3);
    expect(labelColumn(tensor(view), 3)).toEqual([1, 0, -5]);
  });

  test('other element types pass through; a wrong length gives no labels', () => {
    expect(labelColumn(tensor(Int32Array.from([1, 0, 1])), 3)).toEqual([1, 0, 1]);
    expect(labelColumn(tensor(['yes', 'no']), 2)).toEqual(['yes', 'no']);
    expect(labelColumn(tensor(BigInt64Array.from([1n, 0n])), 3)).toBeNull();
  });
});

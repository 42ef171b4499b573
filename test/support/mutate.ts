/** Structural mutation for property tests: change or remove any one field of a JSON-like value. */

/** Every path into `value` (objects and lists), so that a mutation can hit any field, the root included. */
export function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value !== 'object' || value === null) return [prefix];
  const children = Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, Array.isArray(value) ? Number(k) : k]));
  return [prefix, ...children];
}

/** A copy of `value` with the field at `at` replaced by `replacement` (removed when it is undefined). */
export function mutate(value: unknown, at: Array<string | number>, replacement: unknown): unknown {
  if (at.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const step of at.slice(0, -1)) {
    // An earlier change may have put a plain value where the path continued: then there is nothing to change.
    if (typeof node[step] !== 'object' || node[step] === null) return copy;
    node = node[step] as Record<string | number, unknown>;
  }
  if (replacement === undefined) delete node[at.at(-1)!];
  else node[at.at(-1)!] = replacement;
  return copy;
}

/** `value` with each `[index, replacement]` applied to the path `index` picks among the value's paths at that point. */
export function mutateAll(value: unknown, changes: ReadonlyArray<readonly [number, unknown]>): unknown {
  return changes.reduce<unknown>((current, [i, replacement]) => {
    const all = paths(current);
    return mutate(current, all[i % all.length]!, replacement);
  }, value);
}

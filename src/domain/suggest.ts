/**
 * Longest word foxops looks for a "did you mean" for. No name in a catalog is this long, and a bound here
 * keeps a pasted megabyte from costing seconds of edit distance.
 */
export const MAX_SUGGESTED_WORD = 64;

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string alignment):
 * `prdo` is one typo away from `prod`, as a person sees it.
 *
 * With `max`, gives up as soon as the distance must exceed it and returns `max + 1`: the work is then
 * bounded by `a.length * b.length` steps, usually far fewer, and the memory by three rows of `b.length + 1`.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Rows i-2, i-1 and i of the table; the transposition looks two rows back.
  let before: number[] = new Array<number>(b.length + 1).fill(0);
  let previous: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current: number[] = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
      if (best < rowMin) rowMin = best;
    }
    // A row's smallest entry never shrinks further down, so once it is past `max` the answer is too.
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/**
 * The candidates closest to `word`, best first: those within a third of the word's length
 * (at least 2 edits), or that start with it. A word longer than {@link MAX_SUGGESTED_WORD} gets none.
 */
export function closestNames(word: string, candidates: string[], limit = 3): string[] {
  if (word.length > MAX_SUGGESTED_WORD) return [];
  const w = word.toLowerCase();
  const budget = Math.max(2, Math.floor(w.length / 3));
  return (
    candidates
      .map((c) => ({ c, d: c.startsWith(w) && w.length >= 2 ? 0.5 : editDistance(w, c, budget) }))
      .filter(({ d }) => d <= budget)
      // Ties go to the candidate closest in length: a swapped letter beats a dropped one.
      .sort((x, y) => x.d - y.d || Math.abs(x.c.length - w.length) - Math.abs(y.c.length - w.length) || x.c.localeCompare(y.c))
      .map(({ c }) => c)
      .filter((c, i, all) => all.indexOf(c) === i)
      .slice(0, limit)
  );
}

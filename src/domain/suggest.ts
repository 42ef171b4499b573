/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string alignment):
 * `prdo` is one typo away from `prod`, as a person sees it.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates closest to `word`, best first: those within a third of the word's length
 * (at least 2 edits), or that start with it.
 */
export function closestNames(word: string, candidates: string[], limit = 3): string[] {
  const w = word.toLowerCase();
  const budget = Math.max(2, Math.floor(w.length / 3));
  return candidates
    .map((c) => ({ c, d: c.startsWith(w) && w.length >= 2 ? 0.5 : editDistance(w, c) }))
    .filter(({ d }) => d <= budget)
    // Ties go to the candidate closest in length: a swapped letter beats a dropped one.
    .sort((x, y) => x.d - y.d || Math.abs(x.c.length - w.length) - Math.abs(y.c.length - w.length) || x.c.localeCompare(y.c))
    .map(({ c }) => c)
    .filter((c, i, all) => all.indexOf(c) === i)
    .slice(0, limit);
}

/**
 * Properties of the `/deploy` language: whatever is typed, the parser answers (never throws) with a command that
 * only names what the catalog has, or an error whose words come from the text; and its wording is bounded.
 */
import fc from 'fast-check';
import type { Catalog } from '../../src/domain/catalog.js';
import { type CommandError, type DeployCommand, isCommandError, isValidRef, MAX_COMMAND_LENGTH, parseCommand } from '../../src/domain/command.js';
import { commandErrorText } from '../../src/slack/blocks/command-errors.js';
import { TEST_CATALOG } from '../support/catalog.js';

/** Everything a user could mean, plus near misses and the subcommands. */
function vocabulary(catalog: Catalog): string[] {
  const names = [...catalog.environments, ...catalog.services].flatMap((e) => [e.name, ...e.aliases]);
  return [
    ...names,
    ...names.map((n) => n.toUpperCase()),
    ...names.map((n) => `${n.slice(1)}${n[0]}`),
    'help',
    'status',
    'history',
    'histroy',
    'stauts',
    '-h',
    '?',
    '10',
    '0',
    '51',
    'main',
    'v1.2.3',
    'feature/x',
    'a..b',
    '-rf',
    '3f786850e387550fdab836ed7e6dc881de23001b',
    'constructor',
    '__proto__',
    'toString',
    'rollback',
    'to',
    'because',
    'v12',
    'd-0123456789',
  ];
}

/** Texts: words of the vocabulary and arbitrary ones, with any whitespace between; sometimes over the limit. */
function commandText(catalog: Catalog): fc.Arbitrary<string> {
  const word = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...vocabulary(catalog)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  );
  const gap = fc.constantFrom(' ', '  ', '\t', '\n', ' \u00a0 ');
  const words = fc.tuple(fc.array(fc.tuple(word, gap), { maxLength: 6 }), gap).map(([pairs, lead]) => lead + pairs.map(([w, g]) => w + g).join(''));
  const long = fc
    .tuple(fc.constantFrom(...vocabulary(catalog)), fc.integer({ min: MAX_COMMAND_LENGTH - 5, max: MAX_COMMAND_LENGTH + 50 }))
    .map(([w, n]) => `${w} ${'x'.repeat(n)}`);
  return fc.oneof({ weight: 6, arbitrary: words }, { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) }, { weight: 1, arbitrary: long });
}

/** A catalog of its own: distinct lowercase names and aliases, one or two of each. */
const catalogArbitrary: fc.Arbitrary<Catalog> = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/), { minLength: 2, maxLength: 8 }).map((words) => {
  const [envNames, svcNames, aliases] = [words.slice(0, 1 + (words.length > 4 ? 1 : 0)), [words.at(-1)!], words.slice(2, -1)];
  return {
    environments: envNames.map((name, i) => ({
      name,
      aliases: i === 0 ? aliases.slice(0, 2) : [],
      channels: ['C0X'],
      approvals: 0,
      approvers: [],
      requesters: 'any' as const,
      requestTtlMs: 1,
      staleAfterMs: 1,
      runTimeoutMs: 1,
    })),
    services: svcNames.map((name) => ({ name, aliases: aliases.slice(2), repo: 'o/r', workflow: 'deploy.yml', defaultRef: 'main', targets: {} })),
  };
});

/** What holds of every answer to `text` against `catalog`. */
function assertValid(text: string, catalog: Catalog, result: DeployCommand | CommandError): void {
  const envs = new Set(catalog.environments.map((e) => e.name));
  const services = new Set(catalog.services.map((s) => s.name));
  const lower = text.toLowerCase();
  if (isCommandError(result)) {
    expect(result.suggestions.every((s) => typeof s === 'string')).toBe(true);
    // Every word an error quotes was typed (the subcommand guess compares lowercase).
    const quoted = [
      ...('word' in result && result.word !== undefined ? [result.word] : []),
      ...('words' in result ? result.words : []),
      ...('ref' in result ? [result.ref] : []),
    ];
    for (const w of quoted) expect(lower).toContain(w.toLowerCase());
    if (result.code === 'too_long') expect(text.length).toBeGreaterThan(MAX_COMMAND_LENGTH);
    const text_ = commandErrorText(result);
    expect(text_.length).toBeGreaterThan(0);
    expect(text_.length).toBeLessThanOrEqual(Math.min(text.length, MAX_COMMAND_LENGTH) + 2000);
    return;
  }
  expect(text.length).toBeLessThanOrEqual(MAX_COMMAND_LENGTH);
  switch (result.kind) {
    case 'help':
      return;
    case 'deploy':
      expect(envs.has(result.environment)).toBe(true);
      expect(services.has(result.service)).toBe(true);
      expect(isValidRef(result.ref) || (!result.refGiven && result.ref === catalog.services.find((s) => s.name === result.service)!.defaultRef)).toBe(true);
      if (result.refGiven) expect(text).toContain(result.ref);
      return;
    case 'status':
      if (result.service !== undefined) expect(services.has(result.service)).toBe(true);
      return;
    case 'history':
      expect(envs.has(result.environment)).toBe(true);
      expect(services.has(result.service)).toBe(true);
      expect(Number.isInteger(result.count) && result.count >= 1 && result.count <= 50).toBe(true);
      return;
    default:
      // Any other form (rollback) names an environment and a service of the catalog too.
      expect(envs.has((result as { environment: string }).environment)).toBe(true);
      expect(services.has((result as { service: string }).service)).toBe(true);
  }
}

test('the test catalog: any text gives a valid command or an error whose wording is bounded', () => {
  fc.assert(
    fc.property(commandText(TEST_CATALOG), (text) => {
      assertValid(text, TEST_CATALOG, parseCommand(text, TEST_CATALOG));
    }),
    { numRuns: 300 },
  );
});

test('any catalog: any text gives a valid command or a bounded error', () => {
  fc.assert(
    fc.property(
      catalogArbitrary.chain((catalog) => fc.tuple(fc.constant(catalog), commandText(catalog))),
      ([catalog, text]) => {
        assertValid(text, catalog, parseCommand(text, catalog));
      },
    ),
    { numRuns: 200 },
  );
});

test('the answer depends on the words, not on the whitespace around them', () => {
  fc.assert(
    fc.property(commandText(TEST_CATALOG), fc.constantFrom(' ', '\t', '\n '), (text, pad) => {
      fc.pre(text.length + 2 * pad.length <= MAX_COMMAND_LENGTH);
      expect(parseCommand(`${pad}${text}${pad}`, TEST_CATALOG)).toEqual(parseCommand(text, TEST_CATALOG));
    }),
    { numRuns: 200 },
  );
});

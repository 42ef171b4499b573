/**
 * The sentences for a `/deploy` that could not be understood: the domain hands over a code and its data,
 * and these tests pin the exact words the user reads.
 */
import type { Catalog, EnvironmentDefinition, ServiceDefinition } from '../../src/domain/catalog.js';
import { type CommandError, type KnownName, isCommandError, parseCommand } from '../../src/domain/command.js';
import { commandErrorText } from '../../src/slack/blocks/command-errors.js';

const environments: KnownName[] = [
  { name: 'staging', aliases: ['stg', 'stage'] },
  { name: 'production', aliases: ['prod', 'prd'] },
];
const services: KnownName[] = [
  { name: 'foxy-backend', aliases: ['backend', 'api'] },
  { name: 'foxy-frontend', aliases: [] },
];

describe('commandErrorText', () => {
  it.each<[string, CommandError, string]>([
    [
      'an unknown environment with a suggestion',
      { kind: 'error', code: 'unknown_environment', suggestions: ['prod'], word: 'prdo', environments },
      "I don't know the environment `prdo`. Did you mean `prod`? Environments: staging (stg, stage), production (prod, prd). Try `/deploy help`.",
    ],
    [
      'an unknown environment with two suggestions',
      { kind: 'error', code: 'unknown_environment', suggestions: ['prod', 'preprod'], word: 'pro', environments },
      "I don't know the environment `pro`. Did you mean `prod` or `preprod`? Environments: staging (stg, stage), production (prod, prd). Try `/deploy help`.",
    ],
    [
      'an unknown environment close to none',
      { kind: 'error', code: 'unknown_environment', suggestions: [], word: 'zzz', environments },
      "I don't know the environment `zzz`. Environments: staging (stg, stage), production (prod, prd). Try `/deploy help`.",
    ],
    [
      'a misspelt subcommand',
      { kind: 'error', code: 'unknown_environment', suggestions: ['history'], word: 'histroy', environments, meant: ['history', 'prod', '5'] },
      "I don't know `histroy`. Did you mean `/deploy history prod 5`? Try `/deploy help`.",
    ],
    [
      'a missing environment for a deploy',
      { kind: 'error', code: 'missing_environment', suggestions: ['staging', 'production'], form: 'deploy', word: 'backend', environments },
      'Which environment? Try `/deploy production backend`. Environments: staging (stg, stage), production (prod, prd).',
    ],
    [
      'a missing environment for history',
      { kind: 'error', code: 'missing_environment', suggestions: ['staging', 'production'], form: 'history', environments },
      'Which environment? Usage: `/deploy history <env> [service] [count]`. Environments: staging (stg, stage), production (prod, prd).',
    ],
    [
      'an unknown service',
      { kind: 'error', code: 'unknown_service', suggestions: ['foxy-backend'], word: 'foxy-backnd', services },
      "I don't know the service `foxy-backnd`. Did you mean `foxy-backend`? Services: foxy-backend (backend, api), foxy-frontend.",
    ],
    [
      'a missing service for a deploy',
      { kind: 'error', code: 'missing_service', suggestions: ['foxy-backend', 'foxy-frontend'], form: 'deploy', environment: 'production', services },
      'Which service? Name one: `/deploy production <service> [ref]`. Services: foxy-backend (backend, api), foxy-frontend.',
    ],
    [
      'a missing service for history',
      { kind: 'error', code: 'missing_service', suggestions: ['foxy-backend', 'foxy-frontend'], form: 'history', environment: 'staging', services },
      'Which service? Name one: `/deploy history staging <service> [count]`. Services: foxy-backend (backend, api), foxy-frontend.',
    ],
    [
      'too many words',
      { kind: 'error', code: 'too_many_words', suggestions: [], words: ['main', 'extra'], environment: 'production', service: 'foxy-backend' },
      "I can't tell what `main extra` means: after the environment and service comes one ref at most. Usage: `/deploy production foxy-backend [ref]`.",
    ],
    [
      'a bad ref',
      { kind: 'error', code: 'bad_ref', suggestions: [], ref: 'a..b', environment: 'staging', service: 'foxy-frontend', defaultRef: 'trunk' },
      '`a..b` is not a valid git ref. Give a branch, a tag or a commit SHA, e.g. `/deploy staging foxy-frontend trunk`.',
    ],
    [
      'a bad count',
      { kind: 'error', code: 'bad_count', suggestions: [], environment: 'production', min: 1, max: 50 },
      'The count must be between 1 and 50, e.g. `/deploy history production 10`.',
    ],
    [
      'a text too long',
      { kind: 'error', code: 'too_long', suggestions: [], length: 1_048_576, limit: 4000 },
      'That is too long for me: `/deploy` reads at most 4,000 characters, and this text has 1,048,576. Try `/deploy help`.',
    ],
  ])('words %s', (_why, error, expected) => {
    // Act
    const text = commandErrorText(error);

    // Assess
    expect(text).toBe(expected);
  });

  it('tells the limit for a pasted megabyte, straight from the parser', () => {
    // Prepare
    const environment: EnvironmentDefinition = {
      name: 'production',
      aliases: ['prod'],
      channels: ['C0PROD'],
      approvals: 0,
      approvers: [],
      requesters: 'any',
      requestTtlMs: 1,
      staleAfterMs: 1,
      runTimeoutMs: 1,
    };
    const service: ServiceDefinition = { name: 'foxy-backend', aliases: [], repo: 'o/r', workflow: 'deploy.yml', defaultRef: 'main', targets: {} };
    const catalog: Catalog = { services: [service], environments: [environment] };
    const parsed = parseCommand(`prod ${'x'.repeat(1024 * 1024)}`, catalog);
    if (!isCommandError(parsed)) throw new Error(`expected an error, got ${parsed.kind}`);

    // Act
    const text = commandErrorText(parsed);

    // Assess
    expect(text).toContain('at most 4,000 characters');
    expect(text).toContain('1,048,581');
  });
});

/**
 * The `/deploy` command language: what people type, what foxops understands, and the fix it offers when it cannot.
 */
import type { Catalog, EnvironmentDefinition, ServiceDefinition } from '../../src/domain/catalog.js';
import { type CommandError, type DeployCommand, MAX_COMMAND_LENGTH, isCommandError, isValidRef, parseCommand } from '../../src/domain/command.js';
import { MAX_SUGGESTED_WORD, closestNames, editDistance } from '../../src/domain/suggest.js';
import { commandErrorText } from '../../src/slack/blocks/command-errors.js';

const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';

function environment(name: string, aliases: string[], approvals: number): EnvironmentDefinition {
  return {
    name,
    aliases,
    channels: [`C0${name.toUpperCase()}`],
    approvals,
    approvers: approvals ? ['U0ALICE', 'U0BOB', 'S0RELEASE'] : [],
    requesters: 'any',
    requestTtlMs: 30 * 60_000,
    staleAfterMs: 3 * 60_000,
    runTimeoutMs: 60 * 60_000,
  };
}

function service(name: string, aliases: string[], defaultRef = 'main'): ServiceDefinition {
  return { name, aliases, repo: `foxy-org/${name}`, workflow: 'deploy.yml', defaultRef, targets: {} };
}

/** Two services, two environments, foxy-backend as the default. */
const catalog: Catalog = {
  services: [service('foxy-backend', ['backend', 'api']), service('foxy-frontend', ['frontend', 'web'], 'trunk')],
  environments: [environment('staging', ['stg', 'stage'], 0), environment('production', ['prod', 'prd'], 2)],
  defaultService: 'foxy-backend',
};

/** The same, without a default service. */
const noDefault: Catalog = { services: catalog.services, environments: catalog.environments };

/** Three environments whose names and aliases are close to each other. */
const crowded: Catalog = { ...catalog, environments: [...catalog.environments, environment('preprod', ['pp'], 1)] };

/** Parses and insists on an error, so assertions can read its fields. */
function parseError(text: string, against: Catalog = catalog): CommandError {
  const result = parseCommand(text, against);
  if (!isCommandError(result)) throw new Error(`expected an error for "${text}", got ${JSON.stringify(result)}`);
  return result;
}

describe('parseCommand: help', () => {
  it.each(['', '   ', 'help', 'HELP', 'Help', '?', '-h', '--help', 'help me'])('answers %p with help', (text) => {
    // Act
    const result = parseCommand(text, catalog);

    // Assess
    expect(result).toEqual({ kind: 'help' });
  });
});

describe('parseCommand: deploy', () => {
  it('reads environment alias, service alias and ref in that order', () => {
    // Act
    const result = parseCommand('prod backend main', catalog);

    // Assess
    expect(result).toEqual({ kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'main', refGiven: true });
  });

  it('reads the service before the environment and falls back to the service default ref', () => {
    // Act
    const result = parseCommand('backend prod', catalog);

    // Assess
    expect(result).toEqual({ kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'main', refGiven: false });
  });

  it('reads full environment and service names with a tag as ref', () => {
    // Act
    const result = parseCommand('production foxy-backend v1.2.3', catalog);

    // Assess
    expect(result).toEqual({ kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'v1.2.3', refGiven: true });
  });

  it('accepts a full 40-hex commit SHA as ref', () => {
    // Act
    const result = parseCommand(`stg web ${SHA}`, catalog);

    // Assess
    expect(result).toEqual({ kind: 'deploy', environment: 'staging', service: 'foxy-frontend', ref: SHA, refGiven: true });
  });

  it('accepts a branch with slashes as ref', () => {
    // Act
    const result = parseCommand('prod frontend feature/new-login', catalog);

    // Assess
    expect(result).toMatchObject({ kind: 'deploy', service: 'foxy-frontend', ref: 'feature/new-login', refGiven: true });
  });

  it('uses the default service when only the environment is given', () => {
    // Act
    const result = parseCommand('prod', catalog);

    // Assess
    expect(result).toEqual({ kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'main', refGiven: false });
  });

  it('uses the default service with a given ref', () => {
    // Act
    const result = parseCommand('prod release-42', catalog);

    // Assess
    expect(result).toEqual({ kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'release-42', refGiven: true });
  });

  it('takes the default ref of the default service, not a global one', () => {
    // Prepare
    const frontendFirst: Catalog = { ...catalog, defaultService: 'foxy-frontend' };

    // Act
    const result = parseCommand('staging', frontendFirst);

    // Assess
    expect(result).toEqual({ kind: 'deploy', environment: 'staging', service: 'foxy-frontend', ref: 'trunk', refGiven: false });
  });

  it('uses the only service when there is no default but just one service', () => {
    // Prepare
    const single: Catalog = { services: [service('foxy-backend', [])], environments: catalog.environments };

    // Act
    const result = parseCommand('prod v2', single);

    // Assess
    expect(result).toEqual({ kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'v2', refGiven: true });
  });

  it('is case-insensitive for environment and service but keeps the ref as typed', () => {
    // Act
    const result = parseCommand('PROD Backend Feature/ABC', catalog);

    // Assess
    expect(result).toEqual({ kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'Feature/ABC', refGiven: true });
  });

  it('ignores extra whitespace between words', () => {
    // Act
    const result = parseCommand('  prod \t backend   main  ', catalog);

    // Assess
    expect(result).toMatchObject({ kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'main' });
  });

  it('lets an environment named like a subcommand win over the subcommand', () => {
    // Prepare
    const odd: Catalog = { ...catalog, environments: [environment('status', [], 0)] };

    // Act
    const result = parseCommand('status backend', odd);

    // Assess
    expect(result).toMatchObject({ kind: 'deploy', environment: 'status', service: 'foxy-backend' });
  });
});

describe('parseCommand: missing service', () => {
  it('asks which service when there is no default and several services', () => {
    // Act
    const error = parseError('prod', noDefault);
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('missing_service');
    expect(error.suggestions).toEqual(['foxy-backend', 'foxy-frontend']);
    expect(text).toContain('`/deploy production <service> [ref]`');
    expect(text).toContain('foxy-frontend (frontend, web)');
  });

  it('does not guess a service for a ref without a service', () => {
    // Act
    const error = parseError('prod main', noDefault);

    // Assess
    expect(error.code).toBe('missing_service');
  });
});

describe('parseCommand: unknown or missing environment', () => {
  it('suggests `prod` first for `prdo`', () => {
    // Act
    const error = parseError('prdo backend main');
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('unknown_environment');
    expect(error.suggestions[0]).toBe('prod');
    expect(text).toContain("I don't know the environment `prdo`");
    expect(text).toContain('Did you mean `prod`?');
    expect(text).toContain('production (prod, prd)');
  });

  it('makes one suggestion per environment: `prd` and `prod` are the same one', () => {
    // Act
    const error = parseError('prdo');

    // Assess
    expect(error.suggestions).toEqual(['prod']);
  });

  it('suggests distinct environments when a word is close to several', () => {
    // Act
    const error = parseError('pro', crowded);

    // Assess
    const owners = error.suggestions.map((s) => crowded.environments.find((e) => e.name === s || e.aliases.includes(s))?.name);
    expect(owners).toEqual(['production', 'preprod']);
    expect(new Set(owners).size).toBe(error.suggestions.length);
  });

  it('suggests the subcommand for a misspelt `histroy`', () => {
    // Act
    const error = parseError('histroy');

    // Assess
    expect(error.code).toBe('unknown_environment');
    expect(error.suggestions).toEqual(['history']);
  });

  it('lists the environments without a "did you mean" for a word close to none', () => {
    // Act
    const error = parseError('zzzzzzzz');
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('unknown_environment');
    expect(error.suggestions).toEqual([]);
    expect(text).not.toContain('Did you mean');
    expect(text).toContain('Environments: staging (stg, stage), production (prod, prd)');
  });

  it('asks for the environment when only a service is given, with a ready command', () => {
    // Act
    const error = parseError('backend');
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('missing_environment');
    expect(error.suggestions).toEqual(['staging', 'production']);
    expect(text).toContain('`/deploy production backend`');
  });
});

describe('parseCommand: unknown service', () => {
  it('treats a misspelt service as a service, not as a ref, and suggests the right one', () => {
    // Act
    const error = parseError('prod foxy-backnd');
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('unknown_service');
    expect(error.suggestions[0]).toBe('foxy-backend');
    expect(text).toContain('Did you mean `foxy-backend`?');
    expect(text).toContain('Services: foxy-backend (backend, api), foxy-frontend (frontend, web).');
  });

  it('reports a misspelt service followed by a ref', () => {
    // Act
    const error = parseError('prod frontnd main');

    // Assess
    expect(error.code).toBe('unknown_service');
    expect(error.suggestions).toEqual(['frontend']);
  });

  it('reports an unknown word before a ref as an unknown service even without a close match', () => {
    // Act
    const error = parseError('prod payments main');
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('unknown_service');
    expect(text).toContain('`payments`');
  });
});

describe('parseCommand: too many words and bad refs', () => {
  it('refuses more than one ref after environment and service', () => {
    // Act
    const error = parseError('prod backend main extra');
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('too_many_words');
    expect(text).toContain('`main extra`');
    expect(text).toContain('`/deploy production foxy-backend [ref]`');
  });

  it('refuses a ref with a space in it as too many words', () => {
    // Act
    const error = parseError('prod backend my branch');

    // Assess
    expect(error.code).toBe('too_many_words');
  });

  it.each(['../x', '-rf', 'a..b', 'x.lock', 'x~1', 'a:b', 'HEAD^', 'a//b', 'a@{1}'])('refuses the ref %p with an example that works', (ref) => {
    // Act
    const error = parseError(`prod backend ${ref}`);
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('bad_ref');
    expect(text).toContain(`\`${ref}\` is not a valid git ref`);
    expect(text).toContain('`/deploy production foxy-backend main`');
  });
});

describe('parseCommand: the error is data, not sentences', () => {
  it('carries the word, the suggestions and the known environments with their aliases', () => {
    // Act
    const error = parseError('prdo backend main');

    // Assess
    expect(error).toEqual({
      kind: 'error',
      code: 'unknown_environment',
      suggestions: ['prod'],
      word: 'prdo',
      environments: [
        { name: 'staging', aliases: ['stg', 'stage'] },
        { name: 'production', aliases: ['prod', 'prd'] },
      ],
    });
  });

  it('carries the command as probably meant for a misspelt subcommand', () => {
    // Act
    const error = parseError('histroy prod 5');

    // Assess
    expect(error).toMatchObject({ code: 'unknown_environment', word: 'histroy', meant: ['history', 'prod', '5'] });
  });

  it('carries the form and the environment resolved so far for a missing service', () => {
    // Act
    const deploy = parseError('prod', noDefault);
    const history = parseError('history prd', noDefault);

    // Assess
    expect(deploy).toMatchObject({ code: 'missing_service', form: 'deploy', environment: 'production' });
    expect(history).toMatchObject({ code: 'missing_service', form: 'history', environment: 'production' });
  });

  it('carries the environment, service and default ref for a bad ref', () => {
    // Act
    const error = parseError('stg web a..b');

    // Assess
    expect(error).toEqual({
      kind: 'error',
      code: 'bad_ref',
      suggestions: [],
      ref: 'a..b',
      environment: 'staging',
      service: 'foxy-frontend',
      defaultRef: 'trunk',
    });
  });

  it('carries the range for a bad count', () => {
    // Act
    const error = parseError('history prod 51');

    // Assess
    expect(error).toEqual({ kind: 'error', code: 'bad_count', suggestions: [], environment: 'production', min: 1, max: 50 });
  });

  it.each([
    ['an unknown environment', 'prdo'],
    ['a misspelt subcommand', 'histroy'],
    ['a missing environment', 'backend'],
    ['a missing environment in history', 'history'],
    ['an unknown service', 'prod foxy-backnd'],
    ['a missing service', 'prod'],
    ['two services', 'status a b'],
    ['too many words', 'prod backend a b'],
    ['a bad ref', 'prod backend ../x'],
    ['a bad count', 'history prod backend 0'],
    ['a text too long', 'x'.repeat(MAX_COMMAND_LENGTH + 1)],
  ])('holds no sentence and no markup for %s', (_why, text) => {
    // Act
    const error = parseError(text, noDefault);

    // Assess
    expect(error).not.toHaveProperty('message');
    expect(JSON.stringify(error)).not.toMatch(/[`*<>]|\/deploy|Did you mean/);
  });
});

describe('parseCommand: bounded input', () => {
  it('refuses a text longer than 4,000 characters before parsing it, with its length and the limit', () => {
    // Act
    const error = parseError(`prod backend ${'a'.repeat(3988)}`);

    // Assess
    expect(MAX_COMMAND_LENGTH).toBe(4000);
    expect(error).toEqual({ kind: 'error', code: 'too_long', suggestions: [], length: 4001, limit: 4000 });
  });

  it('refuses a one-megabyte word as too long', () => {
    // Act
    const error = parseError('x'.repeat(1024 * 1024));

    // Assess
    expect(error.code).toBe('too_long');
    expect(error).toMatchObject({ length: 1024 * 1024 });
  });

  it('still reads a text of exactly the limit', () => {
    // Act
    const result = parseCommand('prod backend'.padEnd(MAX_COMMAND_LENGTH), catalog);

    // Assess
    expect(result).toMatchObject({ kind: 'deploy', environment: 'production', service: 'foxy-backend' });
  });

  it('answers a word of the full length without suggestions', () => {
    // Act
    const error = parseError('prod'.repeat(MAX_COMMAND_LENGTH / 4));

    // Assess
    expect(error.code).toBe('unknown_environment');
    expect(error.suggestions).toEqual([]);
  });

  it('still suggests for every word of a text of many short typos', () => {
    // Act
    const error = parseError('prdo '.repeat(MAX_COMMAND_LENGTH / 5));

    // Assess
    expect(error.code).toBe('unknown_environment');
    expect(error.suggestions).toEqual(['prod']);
  });

  it(`gives no suggestions for a word longer than ${MAX_SUGGESTED_WORD} characters, even one close to a name`, () => {
    // Prepare
    const longNames: Catalog = { ...catalog, environments: [environment('e'.repeat(MAX_SUGGESTED_WORD + 1), [], 0)] };

    // Act
    const atLimit = parseError('e'.repeat(MAX_SUGGESTED_WORD), longNames);
    const overLimit = parseError(`${'e'.repeat(MAX_SUGGESTED_WORD)}x`, longNames);

    // Assess
    expect(atLimit.suggestions).toEqual(['e'.repeat(MAX_SUGGESTED_WORD + 1)]);
    expect(overLimit.suggestions).toEqual([]);
  });
});

describe('parseCommand: status', () => {
  it('reads bare status as status of everything', () => {
    // Act
    const result = parseCommand('status', catalog);

    // Assess
    expect(result).toEqual({ kind: 'status' });
  });

  it.each(['status api', 'STATUS Backend', 'status foxy-backend'])('reads %p as status of foxy-backend', (text) => {
    // Act
    const result = parseCommand(text, catalog);

    // Assess
    expect(result).toEqual({ kind: 'status', service: 'foxy-backend' });
  });

  it('suggests the right service for a misspelt one', () => {
    // Act
    const error = parseError('status foxy-backnd');

    // Assess
    expect(error.code).toBe('unknown_word');
    expect(error.suggestions[0]).toBe('foxy-backend');
  });

  it.each([
    ['status prdo', 'prod'],
    ['status prod --stat', '--stats'],
    ['promote staging to production backnd', 'backend'],
  ])('suggests an environment or a flag too: `%s` → `%s`', (text, suggestion) => {
    // Act
    const error = parseError(text);

    // Assess
    expect(error.code).toBe('unknown_word');
    expect(error.suggestions).toContain(suggestion);
  });

  it('refuses two services', () => {
    // Act
    const result = parseCommand('status backend frontend', catalog);

    // Assess
    expect(result.kind).toBe('error');
  });
});

describe('parseCommand: history', () => {
  it('defaults to the default service and 10 entries', () => {
    // Act
    const result = parseCommand('history prod', catalog);

    // Assess
    expect(result).toEqual({ kind: 'history', environment: 'production', service: 'foxy-backend', count: 10 });
  });

  it('reads environment, service and count', () => {
    // Act
    const result = parseCommand('history prod web 5', catalog);

    // Assess
    expect(result).toEqual({ kind: 'history', environment: 'production', service: 'foxy-frontend', count: 5 });
  });

  it('reads the words in any order and case-insensitively', () => {
    // Act
    const result = parseCommand('HISTORY 7 Frontend STG', catalog);

    // Assess
    expect(result).toEqual({ kind: 'history', environment: 'staging', service: 'foxy-frontend', count: 7 });
  });

  it.each([1, 50])('accepts the boundary count %p', (count) => {
    // Act
    const result = parseCommand(`history prod ${count}`, catalog);

    // Assess
    expect(result).toMatchObject({ kind: 'history', count });
  });

  it.each(['0', '51', '1000'])('refuses the count %p and says the range', (count) => {
    // Act
    const error = parseError(`history prod ${count}`);
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('bad_count');
    expect(text).toContain('between 1 and 50');
    expect(text).toContain('`/deploy history production 10`');
  });

  it.each(['-3', '2.5', 'ten'])('does not read %p as a count', (count) => {
    // Act
    const result = parseCommand(`history prod ${count}`, catalog);

    // Assess
    expect(result.kind).toBe('error');
  });

  it.each(['history', 'history backend', 'history 5'])('asks for the environment in %p', (typed) => {
    // Act
    const error = parseError(typed);
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('missing_environment');
    expect(text).toContain('`/deploy history <env> [service] [count]`');
  });

  it('suggests the environment for a misspelt one', () => {
    // Act
    const error = parseError('history prdo 5');

    // Assess
    expect(error.code).toBe('unknown_environment');
    expect(error.suggestions[0]).toBe('prod');
  });

  it('asks which service when there is no default', () => {
    // Act
    const error = parseError('history prod', noDefault);
    const text = commandErrorText(error);

    // Assess
    expect(error.code).toBe('missing_service');
    expect(text).toContain('`/deploy history production <service> [count]`');
  });

  it('refuses an unknown service', () => {
    // Act
    const error = parseError('history prod payments');

    // Assess
    expect(error.code).toBe('unknown_service');
  });
});

describe('isCommandError', () => {
  it('tells errors from commands', () => {
    // Prepare
    const ok: DeployCommand = { kind: 'help' };

    // Act
    const verdicts = [isCommandError(ok), isCommandError(parseError('prdo'))];

    // Assess
    expect(verdicts).toEqual([false, true]);
  });
});

describe('isValidRef', () => {
  it.each(['main', 'v1.2.3', 'feature/new-login', 'release-1.2', 'user/x+y', SHA, 'a'.repeat(200)])('accepts %p', (ref) => {
    // Act
    const valid = isValidRef(ref);

    // Assess
    expect(valid).toBe(true);
  });

  it.each([
    ['a parent path', '../x'],
    ['a leading dash', '-rf'],
    ['two dots', 'a..b'],
    ['a .lock suffix', 'x.lock'],
    ['a space', 'my branch'],
    ['a tab', 'a\tb'],
    ['a newline', 'a\nb'],
    ['nothing', ''],
    ['a double slash', 'a//b'],
    ['a trailing slash', 'a/'],
    ['a trailing dot', 'a.'],
    ['a reflog', 'a@{1}'],
    ['a tilde', 'x~1'],
    ['a caret', 'x^'],
    ['a colon', 'x:y'],
    ['a star', 'x*'],
    ['a question mark', 'x?'],
    ['a bracket', 'x[1]'],
    ['a backslash', 'a\\b'],
    ['a shell substitution', '$(rm)'],
    ['more than 200 characters', 'a'.repeat(201)],
  ])('refuses a ref with %s', (_why, ref) => {
    // Act
    const valid = isValidRef(ref);

    // Assess
    expect(valid).toBe(false);
  });
});

describe('editDistance', () => {
  it.each([
    ['prod', 'prod', 0],
    ['prdo', 'prod', 1],
    ['ab', 'ba', 1],
    ['prd', 'prod', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['abc', '', 3],
  ])('counts %p -> %p as %p edits', (a, b, expected) => {
    // Act
    const distance = editDistance(a, b);

    // Assess
    expect(distance).toBe(expected);
  });

  it.each([
    ['prdo', 'prod', 1, 1],
    ['kitten', 'sitting', 3, 3],
    ['kitten', 'sitting', 2, 3],
    ['abc', 'xyz', 1, 2],
    ['a', 'abcdef', 2, 3],
  ])('bounds %p -> %p at %p edits as %p', (a, b, max, expected) => {
    // Act
    const distance = editDistance(a, b, max);

    // Assess
    expect(distance).toBe(expected);
  });

  it('answers max + 1 at once for a megabyte against a short name', () => {
    // Act
    const distance = editDistance('x'.repeat(1024 * 1024), 'prod', 2);

    // Assess
    expect(distance).toBe(3);
  });

  it('gives up on two long, different words of the same length once past the bound', () => {
    // Act
    const distance = editDistance('a'.repeat(100_000), 'b'.repeat(100_000), 2);

    // Assess
    expect(distance).toBe(3);
  });

  it('is symmetric', () => {
    // Act
    const there = editDistance('foxy-backnd', 'foxy-backend');
    const back = editDistance('foxy-backend', 'foxy-backnd');

    // Assess
    expect(there).toBe(back);
  });
});

describe('closestNames', () => {
  it('puts a swapped letter before a dropped one', () => {
    // Act
    const names = closestNames('prdo', ['staging', 'prd', 'prod', 'production']);

    // Assess
    expect(names).toEqual(['prod', 'prd']);
  });

  it('counts a prefix of two or more letters as close', () => {
    // Act
    const names = closestNames('pro', ['production', 'staging']);

    // Assess
    expect(names).toEqual(['production']);
  });

  it('does not count a single-letter prefix', () => {
    // Act
    const names = closestNames('s', ['staging', 'stage']);

    // Assess
    expect(names).toEqual([]);
  });

  it('allows more edits for longer words', () => {
    // Act
    const long = closestNames('foxyy-bakcnd', ['foxy-backend']);
    const short = closestNames('xyz', ['prod']);

    // Assess
    expect(long).toEqual(['foxy-backend']);
    expect(short).toEqual([]);
  });

  it('compares case-insensitively', () => {
    // Act
    const names = closestNames('PRDO', ['prod']);

    // Assess
    expect(names).toEqual(['prod']);
  });

  it(`suggests nothing for a word longer than ${MAX_SUGGESTED_WORD} characters`, () => {
    // Prepare
    const near = 'a'.repeat(MAX_SUGGESTED_WORD + 2);

    // Act
    const atLimit = closestNames('a'.repeat(MAX_SUGGESTED_WORD), [near.slice(1)]);
    const overLimit = closestNames('a'.repeat(MAX_SUGGESTED_WORD + 1), [near]);
    const megabyte = closestNames('a'.repeat(1024 * 1024), [near, 'prod']);

    // Assess
    expect(atLimit).toEqual([near.slice(1)]);
    expect(overLimit).toEqual([]);
    expect(megabyte).toEqual([]);
  });

  it('returns each candidate once and at most `limit`', () => {
    // Act
    const deduped = closestNames('prod', ['prod', 'prod']);
    const limited = closestNames('a', ['b', 'c', 'd', 'e'], 2);

    // Assess
    expect(deduped).toEqual(['prod']);
    expect(limited).toEqual(['b', 'c']);
  });
});

describe('misspelt subcommands', () => {
  test('`histroy prod` is answered with the subcommand, not taken as a ref', () => {
    // Prepare
    const catalog: Catalog = {
      services: [{ name: 'foxy-backend', aliases: ['backend'], repo: 'o/r', workflow: 'deploy.yml', defaultRef: 'main', targets: {} }],
      environments: [
        {
          name: 'production',
          aliases: ['prod'],
          channels: ['C0PROD'],
          approvals: 2,
          approvers: ['U0A'],
          requesters: 'any',
          requestTtlMs: 1,
          staleAfterMs: 1,
          runTimeoutMs: 1,
        },
      ],
      defaultService: 'foxy-backend',
    };
    // Act
    const result = parseCommand('histroy prod', catalog);
    // Assess
    expect(result).toMatchObject({ kind: 'error', suggestions: ['history'] });
    expect(commandErrorText(result as CommandError)).toContain('`/deploy history prod`');
  });
});

describe('parseCommand: locks, audit and break-glass', () => {
  it.each([
    ['lock prod hotfix in progress', { kind: 'lock', environment: 'production', reason: 'hotfix in progress' }],
    [
      'lock prod backend "migrating orders" for 2h',
      { kind: 'lock', environment: 'production', service: 'foxy-backend', reason: 'migrating orders', durationMs: 7_200_000 },
    ],
    ['lock backend prod locked for the migration', { kind: 'lock', environment: 'production', service: 'foxy-backend', reason: 'locked for the migration' }],
    ['lock prod x for 2 hours', { kind: 'lock', environment: 'production', reason: 'x', durationMs: 7_200_000 }],
    ['lock prod x for 90 Minutes', { kind: 'lock', environment: 'production', reason: 'x', durationMs: 5_400_000 }],
    ['unlock prod', { kind: 'unlock', environment: 'production' }],
    ['unlock prod web', { kind: 'unlock', environment: 'production', service: 'foxy-frontend' }],
    ['locks', { kind: 'locks' }],
    ['locks stg', { kind: 'locks', environment: 'staging' }],
    ['audit', { kind: 'audit', sinceMs: 30 * 86_400_000 }],
    ['audit prod since 7d', { kind: 'audit', environment: 'production', sinceMs: 7 * 86_400_000 }],
    ['audit 90d', { kind: 'audit', sinceMs: 90 * 86_400_000 }],
    ['status prod --stats', { kind: 'status', environment: 'production', stats: true }],
    ['status —stats backend', { kind: 'status', service: 'foxy-backend', stats: true }],
    [
      'prod --break-glass “checkout is down”',
      { kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'main', refGiven: false, breakGlass: 'checkout is down' },
    ],
    [
      'prod api v1.2.3 --break-glass hotfix INC-7',
      { kind: 'deploy', environment: 'production', service: 'foxy-backend', ref: 'v1.2.3', refGiven: true, breakGlass: 'hotfix INC-7' },
    ],
  ])('reads %p', (text, expected) => {
    // Act
    const result = parseCommand(text, catalog);

    // Assess
    expect(result).toEqual(expected);
  });

  it.each([
    ['lock prod', 'missing_reason'],
    ['lock prod backend', 'missing_reason'],
    ['lock prod reason for 40d', 'bad_duration'],
    ['lock prod reason for 2x', 'bad_duration'],
    ['lock', 'missing_environment'],
    ['lock prdo reason', 'unknown_environment'],
    ['unlock prod nonsense', 'unknown_service'],
    ['audit prod since forever', 'bad_duration'],
    ['audit nowhere', 'unknown_environment'],
    ['audit production staging', 'one_environment'],
    ['audit production stagign', 'unknown_environment'],
    ['prod --break-glass', 'missing_reason'],
    ['prod --break-glass ""', 'missing_reason'],
  ])('refuses %p with %p', (text, code) => {
    // Act
    const error = parseError(text);

    // Assess
    expect(error.code).toBe(code);
  });

  it('words every new error with what to type instead', () => {
    // Act
    const texts = ['lock prod', 'lock prod x for 40d', 'audit since never', 'prod --break-glass', 'lock'].map((t) => commandErrorText(parseError(t)));

    // Assess
    expect(texts[0]).toContain('/deploy lock production');
    expect(texts[1]).toContain('for 2h');
    expect(texts[2]).toContain('/deploy audit production since 30d');
    expect(texts[3]).toContain('--break-glass "');
    expect(texts[4]).toContain('/deploy lock <env>');
    expect(commandErrorText(parseError('audit prod stg'))).toBe(
      '`/deploy audit` exports one environment, or all of them when none is named: `/deploy audit production`, `/deploy audit staging`, or `/deploy audit`.',
    );
  });
});

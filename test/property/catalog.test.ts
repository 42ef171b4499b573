/**
 * Properties of the configuration loader: whatever `foxops.yml` parses to, `parseCatalog` answers (never throws)
 * with a catalog that keeps its own rules, or with problems that each say where, what and how to fix it.
 */
import fc from 'fast-check';
import { parseCatalog } from '../../src/config/catalog-schema.js';
import type { Catalog } from '../../src/domain/catalog.js';

/** Keys that are names, near-names, and the ones that trip code reading plain objects. */
const key = fc.oneof(
  fc.constantFrom(
    'production',
    'staging',
    'prod',
    'backend',
    'foxy-backend',
    'constructor',
    'toString',
    '__proto__',
    'hasOwnProperty',
    'valueOf',
    'Prod',
    'a b',
    '',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
);
const junk = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 10 }), fc.constant([]), fc.constant({}));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: junk });
const ids = (re: RegExp) => fc.array(maybe(fc.stringMatching(re)), { maxLength: 4 });
const duration = maybe(fc.constantFrom('30m', '2h', '90s', '0s', '1d', 'soon', '999999999h'));

const environment = fc.record(
  {
    aliases: fc.array(maybe(key), { maxLength: 3 }),
    channels: maybe(ids(/^C[A-Z0-9]{2,6}$/)),
    approvals: maybe(fc.integer({ min: -1, max: 12 })),
    approvers: maybe(ids(/^[UWS][A-Z0-9]{2,6}$/)),
    requesters: maybe(fc.oneof(fc.constant('any'), ids(/^[UWS][A-Z0-9]{2,6}$/))),
    request_ttl: duration,
    stale_after: duration,
    run_timeout: duration,
    extra: junk,
  },
  { requiredKeys: ['channels', 'approvals'] },
);
const target = fc.record(
  { function: maybe(fc.string({ minLength: 1, maxLength: 8 })), region: maybe(fc.constantFrom('eu-west-1', 'mars-1')) },
  { requiredKeys: [] },
);
const service = fc.record(
  {
    aliases: fc.array(maybe(key), { maxLength: 3 }),
    repo: maybe(fc.constantFrom('foxy-org/foxy-backend', 'o/r', 'no-slash')),
    workflow: maybe(fc.oneof(fc.constantFrom('deploy.yml', 'deploy.yaml', 'deploy'), fc.integer({ min: -2, max: 99 }))),
    default_ref: maybe(fc.constantFrom('main', '', 'v1')),
    targets: maybe(fc.dictionary(key, maybe(target), { maxKeys: 3 })),
  },
  { requiredKeys: ['repo', 'workflow'] },
);

/** A valid file: distinct words, enough approvers, targets and the default naming what exists. */
const validCatalog = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 2, maxLength: 8 }).chain((words) => {
  const envs = words.slice(0, Math.ceil(words.length / 3));
  const services = words.slice(envs.length, envs.length + Math.ceil(words.length / 3));
  const aliases = words.slice(envs.length + services.length);
  return fc.record({
    environments: fc.tuple(...envs.map(() => fc.integer({ min: 0, max: 3 }))).map((approvals) =>
      Object.fromEntries(
        envs.map((env, i) => [
          env,
          {
            channels: ['C0' + i],
            approvals: approvals[i]!,
            approvers: ['U0A', 'U0B', 'U0C'].slice(0, approvals[i]!),
            ...(i === 0 ? { aliases } : {}),
            request_ttl: '30m',
          },
        ]),
      ),
    ),
    services: fc.constant(
      Object.fromEntries(services.map((svc) => [svc, { repo: 'o/r', workflow: 'deploy.yml', targets: { [envs[0]!]: { function: `${svc}-fn` } } }])),
    ),
    default_service: fc.constantFrom(...services),
  });
});

/** A valid file with one part replaced by something arbitrary (a key, a value, a whole section). */
const mutatedCatalog = fc
  .tuple(
    validCatalog,
    fc.constantFrom('services', 'environments', 'default_service'),
    fc.oneof(junk, key, fc.dictionary(key, maybe(service), { maxKeys: 2 }), fc.dictionary(key, maybe(environment), { maxKeys: 2 })),
  )
  .map(([file, part, value]) => ({ ...file, [part]: value }));

/** Valid files, valid files with a part replaced, catalog-shaped values with junk in places, and any value at all. */
const rawCatalog = fc.oneof(
  { weight: 3, arbitrary: validCatalog },
  { weight: 3, arbitrary: mutatedCatalog },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        services: maybe(fc.dictionary(key, maybe(service), { maxKeys: 3 })),
        environments: maybe(fc.dictionary(key, maybe(environment), { maxKeys: 3 })),
        default_service: maybe(key),
        stray: junk,
      },
      { requiredKeys: ['services', 'environments'] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.anything() },
);

/** The rules a catalog keeps, whatever file it came from. */
function assertConsistent(catalog: Catalog): void {
  const words = [...catalog.environments, ...catalog.services].flatMap((e) => [e.name, ...e.aliases]);
  expect(new Set(words).size).toBe(words.length);
  expect(catalog.environments.length).toBeGreaterThan(0);
  expect(catalog.services.length).toBeGreaterThan(0);
  const envNames = catalog.environments.map((e) => e.name);
  for (const s of catalog.services) for (const env of Object.keys(s.targets)) expect(envNames).toContain(env);
  if (catalog.defaultService !== undefined) expect(catalog.services.map((s) => s.name)).toContain(catalog.defaultService);
  for (const e of catalog.environments) {
    expect(e.channels.length).toBeGreaterThan(0);
    for (const ms of [e.requestTtlMs, e.staleAfterMs, e.runTimeoutMs]) expect(Number.isFinite(ms) && ms >= 0).toBe(true);
    const users = new Set(e.approvers.filter((id) => !id.startsWith('S')));
    if (!e.approvers.some((id) => id.startsWith('S'))) expect(users.size).toBeGreaterThanOrEqual(e.approvals);
  }
}

test('parseCatalog never throws: a consistent catalog, or problems that each say where, what and the fix', () => {
  fc.assert(
    fc.property(rawCatalog, (raw) => {
      const result = parseCatalog(raw, 'foxops.yml');
      if ('catalog' in result) {
        expect('problems' in result).toBe(false);
        assertConsistent(result.catalog);
        return;
      }
      expect(result.problems.length).toBeGreaterThan(0);
      for (const p of result.problems) {
        expect(p.where).toMatch(/^foxops\.yml: \S/);
        expect(typeof p.problem === 'string' && p.problem.length > 0).toBe(true);
        expect(typeof p.fix === 'string' && p.fix.length > 0).toBe(true);
      }
    }),
    { numRuns: 300 },
  );
});

test('a valid file gives the catalog it describes', () => {
  fc.assert(
    fc.property(validCatalog, (file) => {
      const result = parseCatalog(file, 'foxops.yml');
      expect(result).toEqual({ catalog: expect.anything() });
      const { catalog } = result as { catalog: Catalog };
      expect(catalog.environments.map((e) => e.name)).toEqual(Object.keys(file.environments));
      expect(catalog.services.map((s) => s.name)).toEqual(Object.keys(file.services));
      expect(catalog.defaultService).toBe(file.default_service);
      assertConsistent(catalog);
    }),
    { numRuns: 100 },
  );
});

test('a target or default service named like an Object member is a problem, not a catalog', () => {
  const base = { services: { api: { repo: 'o/r', workflow: 'deploy.yml' } }, environments: { prod: { channels: ['C0PROD'], approvals: 0 } } };
  fc.assert(
    fc.property(fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty'), (name) => {
      const withTarget = parseCatalog({ ...base, services: { api: { ...base.services.api, targets: { [name]: { function: 'f' } } } } }, 'foxops.yml');
      const withDefault = parseCatalog({ ...base, default_service: name.toLowerCase() }, 'foxops.yml');
      expect(withTarget).toEqual({ problems: [expect.objectContaining({ where: `foxops.yml: services.api.targets.${name}` })] });
      expect(withDefault).toEqual({ problems: [expect.objectContaining({ where: 'foxops.yml: default_service' })] });
    }),
  );
});

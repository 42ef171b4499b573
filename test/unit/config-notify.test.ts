/** `notify:` per environment in foxops.yml: its default, its values, and the fix for a wrong one. */
import { parse as parseYaml } from 'yaml';
import { parseCatalog } from '../../src/config/index.js';

const YAML = `
services:
  foxy-backend:
    repo: foxy-org/foxy-backend
    workflow: deploy.yml
environments:
  production:
    channels: [C0PROD]
    approvals: 1
    approvers: [U0ALICE]
`;

const withNotify = (value: string) => YAML.replace('approvers: [U0ALICE]', `approvers: [U0ALICE]\n    notify: ${value}`);
const parse = (yaml: string) => parseCatalog(parseYaml(yaml), 'f.yml');

describe('parseCatalog: notify', () => {
  it('defaults to today’s behaviour: nothing set, which means `all`', () => {
    // Act
    const result = parse(YAML);

    // Assess
    expect('catalog' in result && result.catalog.environments[0]!.notify).toBeUndefined();
  });

  it.each([
    ['all', undefined],
    ['failures', 'failures'],
    ['none', 'none'],
  ])('reads `notify: %s`', (value, expected) => {
    // Act
    const result = parse(withNotify(value));

    // Assess
    expect('catalog' in result && result.catalog.environments[0]!.notify).toBe(expected ?? undefined);
  });

  it('refuses another value, naming the three', () => {
    // Act
    const result = parse(withNotify('loud'));

    // Assess
    expect('problems' in result && result.problems).toEqual([
      expect.objectContaining({ where: 'f.yml: environments.production.notify', fix: expect.stringMatching(/`notify: all`.*`failures`.*`none`/) }),
    ]);
  });
});

/** One thing wrong with the configuration: where, what, and what to put there instead. */
export interface ConfigProblem {
  /** `foxops.yml: environments.production.approvals` or `env: SLACK_BOT_TOKEN`. */
  where: string;
  problem: string;
  fix: string;
}

/** Stops the start: lists every problem at once so the operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`foxops cannot start, the configuration has ${problems.length} problem(s):\n${formatProblems(problems)}`);
    this.name = 'ConfigError';
  }
}

/** One line per problem, for the terminal and for logs. */
export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map((p) => `  - ${p.where}: ${p.problem}\n    fix: ${p.fix}`).join('\n');
}

/** The `/deploy help` text, built from the catalog so it names the real services and environments. */
import type { Catalog } from '../../domain/catalog.js';

/** Help for `/deploy`, as mrkdwn. */
export function helpText(catalog: Catalog): string {
  const envs = catalog.environments
    .map(
      (e) =>
        `• *${e.name}*${e.aliases.length ? ` (${e.aliases.join(', ')})` : ''}: ` +
        `${e.approvals === 0 ? 'no approval needed' : `${e.approvals} approval(s)`}, in ${e.channels.map((c) => `<#${c}>`).join(' ')}`,
    )
    .join('\n');
  const services = catalog.services
    .map(
      (s) =>
        `• *${s.name}*${s.aliases.length ? ` (${s.aliases.join(', ')})` : ''}: ${s.repo}, default ref \`${s.defaultRef}\`` +
        `${catalog.defaultService === s.name ? ' _(default)_' : ''}`,
    )
    .join('\n');
  const example = catalog.environments.at(-1)?.name ?? 'production';
  return [
    '*foxops* deploys through GitHub Actions, with approvals here in Slack.',
    "`/deploy <env> [service] [ref]`: ask to deploy a branch, tag or SHA (default: the service's default ref), " +
      `e.g. \`/deploy ${example} ${catalog.services[0]?.name ?? ''} main\`. ` +
      'The ref is pinned to its commit SHA; approvers approve that exact commit.',
    '`/deploy status [env] [service] [--stats]`: what runs where, what is running and what waits, with locks and freezes; ' +
      '`--stats`: deploys per day, lead time, change failure rate and time to restore over 30 days.',
    '`/deploy history <env> [service] [count]`: the last deploys with outcome, duration and people.',
    '`/deploy rollback <env> [service] [to <version|sha|deploy-id>] [because <reason>]`: ' +
      'go back to the last known good deploy (or the one named), with approvals. ' +
      "With `--stack` (and `to <deploy-id>`), restore the target stack's backup taken before that deploy, through a change set.",
    '`/deploy promote [service] [<from> to <to>]`: ship the exact SHA that last succeeded in the source environment ' +
      "(default: the target's `promote_from`), once it has soaked and its alarms are quiet, with the target's approvals.",
    '`/deploy lock <env> [service] <reason> [for <duration>]`: stop others shipping there (all services when none is named); ' +
      '`/deploy unlock <env> [service]` lifts it (its owner, or an approver); `/deploy locks` lists them.',
    '`… --break-glass "<reason>"` at the end of a deploy, rollback or promotion: ship during a freeze window, or past ' +
      'failed pre-flight checks, with two approvals from the break-glass approvers.',
    '`/deploy audit [env] [since 30d]`: the audit trail as CSV and JSON Lines, by direct message (approvers and auditors).',
    '`/deploy help`: this text.',
    `*Environments*\n${envs}`,
    `*Services*\n${services}`,
  ].join('\n');
}

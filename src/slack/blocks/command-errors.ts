/** The sentences for a `/deploy` that could not be understood: what was wrong and what to type instead, as mrkdwn. */
import type { CommandError, CommandForm, KnownName } from '../../domain/command.js';
import { formatDuration } from '../../domain/duration.js';

/** `production (prod, prd), staging`: each name with its aliases. */
function listNames(entries: KnownName[]): string {
  return entries.map((e) => (e.aliases.length ? `${e.name} (${e.aliases.join(', ')})` : e.name)).join(', ');
}

function didYouMean(suggestions: string[]): string {
  return suggestions.length ? ` Did you mean ${suggestions.map((s) => `\`${s}\``).join(' or ')}?` : '';
}

function serviceUsage(form: CommandForm, environment: string): string {
  if (form === 'history') return `\`/deploy history ${environment} <service> [count]\``;
  if (form === 'rollback') return `\`/deploy rollback ${environment} <service> [to <version|sha|deploy-id>]\``;
  if (form === 'promote') return `\`/deploy promote <service> [<from> to ${environment}]\``;
  if (form === 'lock') return `\`/deploy lock ${environment} [service] <reason> [for <duration>]\``;
  if (form === 'unlock') return `\`/deploy unlock ${environment} [service]\``;
  return `\`/deploy ${environment} <service> [ref]\``;
}

/** `staging → production, qa → staging`: the promotion routes foxops.yml defines. */
function listRoutes(choices: Array<{ from: string; to: string }>): string {
  return choices.map((c) => `\`${c.from} to ${c.to}\``).join(', ');
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * The sentence that tells the user why `/deploy` did not understand them and how to do it right:
 * the offending word, the closest names, the known ones and a command that works. Plain mrkdwn, no emoji.
 */
export function commandErrorText(error: CommandError): string {
  switch (error.code) {
    case 'too_long':
      return (
        `That is too long for me: \`/deploy\` reads at most ${count(error.limit)} characters, ` +
        `and this text has ${count(error.length)}. Try \`/deploy help\`.`
      );
    case 'unknown_environment':
      if (error.meant) return `I don't know \`${error.word}\`. Did you mean \`${['/deploy', ...error.meant].join(' ')}\`? Try \`/deploy help\`.`;
      return (
        `I don't know the environment \`${error.word}\`.${didYouMean(error.suggestions)} ` +
        `Environments: ${listNames(error.environments)}. Try \`/deploy help\`.`
      );
    case 'missing_environment':
      if (error.form === 'history')
        return `Which environment? Usage: \`/deploy history <env> [service] [count]\`. Environments: ${listNames(error.environments)}.`;
      if (error.form === 'rollback') {
        return (
          'Which environment? Usage: `/deploy rollback <env> [service] [to <version|sha|deploy-id>] [because <reason>]`. ' +
          `Environments: ${listNames(error.environments)}.`
        );
      }
      if (error.form === 'lock')
        return `Which environment? Usage: \`/deploy lock <env> [service] <reason> [for <duration>]\`. Environments: ${listNames(error.environments)}.`;
      if (error.form === 'unlock') return `Which environment? Usage: \`/deploy unlock <env> [service]\`. Environments: ${listNames(error.environments)}.`;
      return (
        `Which environment? Try \`/deploy ${error.environments.at(-1)?.name ?? 'production'} ${error.word ?? ''}\`. ` +
        `Environments: ${listNames(error.environments)}.`
      );
    case 'unknown_service':
      return `I don't know the service \`${error.word}\`.${didYouMean(error.suggestions)} Services: ${listNames(error.services)}.`;
    case 'one_environment':
      return (
        `\`/deploy audit\` exports one environment, or all of them when none is named: ` +
        `${error.environments.map((e) => `\`/deploy audit ${e}\``).join(', ')}, or \`/deploy audit\`.`
      );
    case 'unknown_word': {
      const usage = error.form === 'status' ? '`/deploy status [env] [service] [--stats]`' : '`/deploy promote [service] [<from> to <to>]`';
      const flags = error.flags.length ? `; flags: ${error.flags.map((f) => `\`${f}\``).join(', ')}` : '';
      return (
        `I don't know \`${error.word}\` here.${didYouMean(error.suggestions)} Usage: ${usage}. ` +
        `Environments: ${listNames(error.environments)}; services: ${listNames(error.services)}${flags}.`
      );
    }
    case 'missing_service':
      return `Which service? Name one: ${serviceUsage(error.form, error.environment)}. Services: ${listNames(error.services)}.`;
    case 'too_many_words':
      return (
        `I can't tell what \`${error.words.join(' ')}\` means: after the environment and service comes one ref at most. ` +
        `Usage: \`/deploy ${error.environment} ${error.service} [ref]\`.`
      );
    case 'bad_ref':
      return (
        `\`${error.ref}\` is not a valid git ref. ` +
        `Give a branch, a tag or a commit SHA, e.g. \`/deploy ${error.environment} ${error.service} ${error.defaultRef}\`.`
      );
    case 'missing_target':
      return (
        'Roll back to what? After `to` comes a Lambda version (`v12`), a commit SHA or a deploy id, ' +
        `e.g. \`/deploy rollback ${error.environment} ${error.service} to v12\`; ` +
        'without `to`, foxops goes back to the last known good deploy.'
      );
    case 'no_promotion_target':
      if (error.choices.length === 0)
        return (
          'No environment says where promotions come from: add `promote_from: <environment>` to one in foxops.yml, ' +
          `or name both sides: \`/deploy promote [service] <from> to <to>\`. Environments: ${listNames(error.environments)}.`
        );
      return (
        `Promote where? Several environments take promotions: ${listRoutes(error.choices)}. ` +
        `Name one, e.g. \`/deploy promote ${error.choices[0]!.from} to ${error.choices[0]!.to}\`.`
      );
    case 'no_promotion_source':
      return (
        `*${error.environment}* has no \`promote_from\`, so I don't know where to promote from. ` +
        `Name the source: \`/deploy promote <from> to ${error.environment}\`` +
        `${error.choices.length ? `, or use one of the configured routes: ${listRoutes(error.choices)}` : ''}.`
      );
    case 'bad_promotion_route':
      if (error.from !== undefined && error.from === error.to)
        return (
          `*${error.from}* cannot be promoted to itself. ` + 'Usage: `/deploy promote [service] <from> to <to>`, e.g. `/deploy promote staging to production`.'
        );
      return (
        `Promote from where to where? After \`promote\` comes \`<from> to <to>\`, e.g. \`/deploy promote staging to production\`. ` +
        `Environments: ${listNames(error.environments)}.`
      );
    case 'bad_count':
      return `The count must be between ${error.min} and ${error.max}, e.g. \`/deploy history ${error.environment} 10\`.`;
    case 'missing_reason':
      if (error.form === 'break_glass')
        return (
          'Break-glass needs a reason, and it goes last: ' +
          '`/deploy production [service] [ref] --break-glass "checkout is down, hotfix for INC-123"`. Two break-glass approvers must agree.'
        );
      return (
        `Why lock it? Say so after the environment (and service): \`/deploy lock ${error.environment ?? '<env>'} [service] <reason> [for 2h]\`, ` +
        'so that whoever is held up knows whom to ask and why.'
      );
    case 'bad_duration':
      if (error.form === 'audit')
        return (
          `\`${error.word}\` is not a period I can export: give a duration of at most ${formatDuration(error.maxMs)}, ` +
          'e.g. `/deploy audit production since 30d`.'
        );
      return (
        `\`${error.word}\` is not a lock duration: give one of at most ${formatDuration(error.maxMs)}, such as \`for 90m\`, \`for 2h\` or \`for 1d\`; ` +
        'leave out `for …` to lock until you unlock.'
      );
  }
}

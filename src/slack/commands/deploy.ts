/**
 * `/deploy`: help, deploy and rollback requests, status and history. Answers ephemerally within the ack;
 * anything that talks to GitHub is queued as a job.
 */
import type { App, SlashCommand } from '@slack/bolt';
import { isCommandError, parseCommand } from '../../domain/command.js';
import type { SlackDeps } from '../deps.js';
import { commandErrorText } from '../blocks/command-errors.js';
import { helpText } from '../blocks/help.js';
import { refusalText } from '../blocks/refusals.js';
import { describeStatus, escapeText } from '../blocks/text.js';
import { reportFailure } from '../failure.js';
import { shortSha } from '../../domain/request.js';

type Answer = { response_type: 'ephemeral'; text: string; blocks?: unknown[] };
const ephemeral = (text: string, blocks?: unknown[]): Answer => ({ response_type: 'ephemeral', text, ...(blocks ? { blocks } : {}) });

async function answer(deps: SlackDeps, command: SlashCommand): Promise<Answer> {
  const { catalog } = deps.config;
  const parsed = parseCommand(command.text ?? '', catalog);
  if (isCommandError(parsed)) {
    // A bounded preview: the text is whatever was pasted, however long.
    const text = command.text ?? '';
    deps.logger.info('command.invalid', { code: parsed.code, text: text.slice(0, 200), length: text.length, user: command.user_id });
    return ephemeral(`:thinking_face: ${commandErrorText(parsed)}`);
  }
  switch (parsed.kind) {
    case 'help':
      return ephemeral(helpText(catalog));
    // The use cases load on first use: a cold `/deploy help` never pays for them.
    case 'deploy': {
      const [ctx, { requestDeploy }] = await Promise.all([deps.context(), import('../../deploys/request-deploy.js')]);
      const outcome = await requestDeploy(ctx, {
        environment: parsed.environment,
        service: parsed.service,
        ref: parsed.ref,
        userId: command.user_id,
        channelId: command.channel_id,
        triggerId: command.trigger_id,
      });
      if (outcome.kind === 'refused') return ephemeral(`:no_entry_sign: ${refusalText(outcome.refusal)}`);
      const r = outcome.request;
      if (r.status === 'preparing') {
        return ephemeral(
          `:hourglass_flowing_sand: Resolving \`${r.ref}\` of *${r.service}* for *${r.environment}* (deploy \`${r.id}\`). ` +
            'The deploy card appears in this channel in a moment.',
        );
      }
      return ephemeral(
        `Deploy \`${r.id}\` of *${r.service}* \`${shortSha(r.sha)}\` to *${r.environment}* is already ${describeStatus(r.status)}; ` +
          'see its card in this channel.',
      );
    }
    case 'rollback': {
      const [ctx, { requestRollback }] = await Promise.all([deps.context(), import('../../deploys/request-deploy.js')]);
      const outcome = await requestRollback(ctx, {
        environment: parsed.environment,
        service: parsed.service,
        ...(parsed.target ? { target: parsed.target } : {}),
        ...(parsed.reason ? { reason: parsed.reason } : {}),
        ...(parsed.stack ? { stack: true } : {}),
        userId: command.user_id,
        channelId: command.channel_id,
        triggerId: command.trigger_id,
      });
      if (outcome.kind === 'refused') return ephemeral(`:no_entry_sign: ${refusalText(outcome.refusal)}`);
      const r = outcome.request;
      if (r.status === 'preparing') {
        const to = parsed.stack
          ? `: its stack, back to the backup taken before ${parsed.target ? `\`${escapeText(parsed.target)}\`` : 'the newest deploy'}`
          : parsed.target
            ? ` to \`${escapeText(parsed.target)}\``
            : ' to the last known good deploy';
        return ephemeral(
          `:rewind: Planning rollback \`${r.id}\` of *${r.service}* in *${r.environment}*${to}. The rollback card appears in this channel in a moment.`,
        );
      }
      return ephemeral(`Rollback \`${r.id}\` of *${r.service}* in *${r.environment}* is already ${describeStatus(r.status)}; see its card in this channel.`);
    }
    case 'promote': {
      const [ctx, { requestPromotion }] = await Promise.all([deps.context(), import('../../deploys/request-deploy.js')]);
      const outcome = await requestPromotion(ctx, {
        environment: parsed.environment,
        from: parsed.from,
        service: parsed.service,
        userId: command.user_id,
        channelId: command.channel_id,
        triggerId: command.trigger_id,
      });
      if (outcome.kind === 'refused') return ephemeral(`:no_entry_sign: ${refusalText(outcome.refusal)}`);
      const r = outcome.request;
      if (r.status === 'preparing') {
        return ephemeral(
          `:arrow_double_up: Checking promotion \`${r.id}\` of *${r.service}* from *${parsed.from}* to *${r.environment}*. ` +
            'The card with its gates appears in this channel in a moment.',
        );
      }
      return ephemeral(
        `Promotion \`${r.id}\` of *${r.service}* \`${shortSha(r.sha)}\` to *${r.environment}* is already ${describeStatus(r.status)}; ` +
          'see its card in this channel.',
      );
    }
    case 'status': {
      const [ctx, { readStatus }, { statusMessage }] = await Promise.all([deps.context(), import('../../deploys/status.js'), import('../blocks/status.js')]);
      const status = await readStatus(ctx, parsed.service);
      return ephemeral(...statusMessage(status, ctx.now()));
    }
    case 'history': {
      const [ctx, { historyMessage }] = await Promise.all([deps.context(), import('../blocks/status.js')]);
      const entries = await ctx.ledger.history(parsed.service, parsed.environment, parsed.count);
      return ephemeral(...historyMessage(parsed.service, parsed.environment, entries));
    }
  }
}

/** Registers the `/deploy` listener. */
export function registerDeployCommand(app: App, deps: SlackDeps): void {
  app.command('/deploy', async ({ command, ack }) => {
    let response: Answer;
    try {
      response = await answer(deps, command);
    } catch (err) {
      // reportFailure cuts the text short; its length says how much was typed.
      response = ephemeral(
        reportFailure(deps.logger, 'command.deploy', err, {
          text: command.text,
          length: command.text?.length,
          user: command.user_id,
          channel: command.channel_id,
        }),
      );
    }
    await ack(response);
  });
}

/**
 * `/deploy`: help, deploy and rollback requests, status and history. Answers ephemerally within the ack;
 * anything that talks to GitHub is queued as a job.
 */
import type { App, SlashCommand } from '@slack/bolt';
import { isCommandError, parseCommand } from '../../domain/command.js';
import type { Refusal } from '../../domain/policy.js';
import type { SlackDeps } from '../deps.js';
import type { DeployContext } from '../../deploys/context.js';
import type { DeployAskOutcome } from '../../deploys/request-deploy.js';
import type { AcceptedDetails } from '../blocks/accepted.js';
import { helpText } from '../blocks/help.js';
import { reportFailure } from '../failure.js';

type Answer = { response_type: 'ephemeral'; text: string; blocks?: unknown[] };
const ephemeral = (text: string, blocks?: unknown[]): Answer => ({ response_type: 'ephemeral', text, ...(blocks ? { blocks } : {}) });

/** Who asked, from where, and Slack's id for this invocation: the part every request use case takes alike. */
const who = (command: SlashCommand) => ({ userId: command.user_id, channelId: command.channel_id, triggerId: command.trigger_id });

/** A refusal in words; loaded only when there is one (the words for every refusal weigh on a cold start). */
async function refusedAnswer(refusal: Refusal): Promise<Answer> {
  const { refusalText } = await import('../blocks/refusals.js');
  return ephemeral(`:no_entry_sign: ${refusalText(refusal)}`);
}

/** `--break-glass "<reason>"`, when given. */
const breakGlassOf = (parsed: { breakGlass?: string }) => (parsed.breakGlass ? { breakGlass: parsed.breakGlass } : {});

type RequestUseCases = typeof import('../../deploys/request-deploy.js');

/** Loads the context and the request use cases, runs `call`, and words its outcome: the refusal, or what happens next. */
async function ask(
  deps: SlackDeps,
  details: AcceptedDetails,
  call: (ctx: DeployContext, useCases: RequestUseCases) => Promise<DeployAskOutcome>,
): Promise<Answer> {
  const [ctx, useCases, { acceptedText }] = await Promise.all([deps.context(), import('../../deploys/request-deploy.js'), import('../blocks/accepted.js')]);
  const outcome = await call(ctx, useCases);
  if (outcome.kind === 'refused') return refusedAnswer(outcome.refusal);
  return ephemeral(acceptedText(outcome.request, details));
}

async function answer(deps: SlackDeps, command: SlashCommand): Promise<Answer> {
  const { catalog } = deps.config;
  const parsed = parseCommand(command.text ?? '', catalog);
  if (isCommandError(parsed)) {
    // A bounded preview: the text is whatever was pasted, however long.
    const text = command.text ?? '';
    deps.logger.info('command.invalid', { code: parsed.code, text: text.slice(0, 200), length: text.length, user: command.user_id });
    const { commandErrorText } = await import('../blocks/command-errors.js');
    return ephemeral(`:thinking_face: ${commandErrorText(parsed)}`);
  }
  switch (parsed.kind) {
    case 'help':
      return ephemeral(helpText(catalog));
    // The use cases load on first use: a cold `/deploy help` never pays for them.
    case 'deploy':
      return ask(deps, { kind: 'deploy' }, (ctx, { requestDeploy }) =>
        requestDeploy(ctx, { environment: parsed.environment, service: parsed.service, ref: parsed.ref, ...breakGlassOf(parsed), ...who(command) }),
      );
    case 'rollback':
      return ask(
        deps,
        { kind: 'rollback', ...(parsed.target ? { target: parsed.target } : {}), ...(parsed.stack ? { stack: true } : {}) },
        (ctx, { requestRollback }) =>
          requestRollback(ctx, {
            environment: parsed.environment,
            service: parsed.service,
            ...(parsed.target ? { target: parsed.target } : {}),
            ...(parsed.reason ? { reason: parsed.reason } : {}),
            ...(parsed.stack ? { stack: true } : {}),
            ...breakGlassOf(parsed),
            ...who(command),
          }),
      );
    case 'promote':
      return ask(deps, { kind: 'promote', from: parsed.from }, (ctx, { requestPromotion }) =>
        requestPromotion(ctx, { environment: parsed.environment, from: parsed.from, service: parsed.service, ...breakGlassOf(parsed), ...who(command) }),
      );
    case 'status': {
      if (parsed.stats) {
        const [ctx, { readDeliveryStats, DELIVERY_DAYS }, { deliveryMessage }] = await Promise.all([
          deps.context(),
          import('../../deploys/delivery.js'),
          import('../blocks/delivery.js'),
        ]);
        const rows = await readDeliveryStats(ctx, { service: parsed.service, environment: parsed.environment });
        return ephemeral(...deliveryMessage(rows, DELIVERY_DAYS));
      }
      const [ctx, { readStatus }, { statusMessage }] = await Promise.all([deps.context(), import('../../deploys/status.js'), import('../blocks/status.js')]);
      const status = await readStatus(ctx, {
        ...(parsed.service ? { service: parsed.service } : {}),
        ...(parsed.environment ? { environment: parsed.environment } : {}),
      });
      return ephemeral(...statusMessage(status, ctx.now()));
    }
    case 'lock': {
      const [ctx, { takeLock }, { lockedText }] = await Promise.all([deps.context(), import('../../deploys/locks.js'), import('../blocks/lock-answers.js')]);
      const { kind: _kind, ...lockAsk } = parsed;
      const outcome = await takeLock(ctx, { ...lockAsk, userId: command.user_id });
      return outcome.kind === 'refused' ? refusedAnswer(outcome.refusal) : ephemeral(lockedText(outcome.lock, outcome.renewed));
    }
    case 'unlock': {
      const [ctx, { releaseLock }, { unlockedText }] = await Promise.all([
        deps.context(),
        import('../../deploys/locks.js'),
        import('../blocks/lock-answers.js'),
      ]);
      const outcome = await releaseLock(ctx, {
        environment: parsed.environment,
        ...(parsed.service ? { service: parsed.service } : {}),
        userId: command.user_id,
      });
      return outcome.kind === 'refused' ? refusedAnswer(outcome.refusal) : ephemeral(unlockedText(outcome.lock, outcome.overruled));
    }
    case 'locks': {
      const [ctx, { listLocks }, { locksMessage }] = await Promise.all([deps.context(), import('../../deploys/locks.js'), import('../blocks/locks.js')]);
      return ephemeral(...locksMessage(await listLocks(ctx, parsed.environment), ctx.now(), parsed.environment));
    }
    case 'audit': {
      const { answerAudit } = await import('./audit.js');
      return answerAudit(deps, parsed, command);
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

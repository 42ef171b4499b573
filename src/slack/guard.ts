/**
 * A receiver wrapper that stands between Slack's receivers and the app: every request whose signature the receiver
 * verified is checked for shape (src/slack/inbound.ts) before Bolt routes it. A malformed one is acknowledged (200)
 * with one `slack.malformed_payload` line; one that no listener takes is acknowledged with one
 * `slack.unhandled_request` line (Bolt's receiver would answer 404); and anything the app still throws is logged and
 * acknowledged, so no signed request ever gets Bolt's 500. Unsigned requests never get here: the receivers refuse
 * them first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type App, type HTTPReceiver, HTTPModuleFunctions, isValidSlackRequest, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../log.js';
import { MALFORMED_COMMAND_TEXT, UNKNOWN_COMMAND_TEXT } from './blocks/input-errors.js';
import { checkInbound, type InboundKind, inboundUser, unreadableBody } from './inbound.js';

/** What the person who sent a malformed slash command reads; other kinds get an empty acknowledgement. */
const ANSWERS: Partial<Record<InboundKind, unknown>> = {
  command: { response_type: 'ephemeral', text: MALFORMED_COMMAND_TEXT },
};

/** What the sender of a well-formed request that no listener took reads: a command is told what foxops answers. */
const UNHANDLED_ANSWERS: Partial<Record<InboundKind, unknown>> = {
  command: { response_type: 'ephemeral', text: UNKNOWN_COMMAND_TEXT },
};

/** What a request that no listener took was, for its log line: the command, or the action, view or callback id. */
function unhandledWhat(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { command?: unknown; callback_id?: unknown; view?: { callback_id?: unknown }; actions?: Array<{ action_id?: unknown }> };
  const what = b.command ?? b.view?.callback_id ?? b.actions?.[0]?.action_id ?? b.callback_id;
  return typeof what === 'string' ? what.slice(0, 100) : undefined;
}

/** Checks `event.body`, then hands it to `app`; never throws. */
async function processChecked(app: App, logger: Logger, event: ReceiverEvent): Promise<void> {
  const checked = checkInbound(event.body);
  if (!checked.ok) {
    logger.warn('slack.malformed_payload', { kind: checked.kind, problem: checked.problem, user: inboundUser(event.body) });
    await event.ack(ANSWERS[checked.kind]);
    return;
  }
  let acked = false;
  const ack: ReceiverEvent['ack'] = (response) => {
    acked = true;
    return event.ack(response);
  };
  try {
    await app.processEvent({ ...event, ack });
    if (!acked) {
      // No listener took it (another command of this app, a view or button foxops does not know): Bolt would leave
      // it unanswered and its receiver answer 404. Acknowledged instead, with one line saying what it was.
      logger.warn('slack.unhandled_request', { kind: checked.kind, what: unhandledWhat(event.body), user: inboundUser(event.body) });
      await event.ack(UNHANDLED_ANSWERS[checked.kind]);
    }
  } catch (err) {
    // Bolt hands listener errors to app.error; this is what it throws before or around them.
    logger.error('slack.request_failed', { kind: checked.kind, user: inboundUser(event.body), err });
    if (!acked) await event.ack().catch(() => undefined);
  }
}

/** Wraps `inner` so that the app it serves sees only checked requests (see the module comment). */
export function guardReceiver(inner: Receiver, logger: Logger): Receiver {
  return {
    init(app: App) {
      // The receiver calls `processEvent` on what it was given; everything else is the app itself.
      const guarded = Object.create(app, { processEvent: { value: (event: ReceiverEvent) => processChecked(app, logger, event) } }) as App;
      inner.init(guarded);
    },
    start: (...args: unknown[]) => inner.start(...args),
    stop: (...args: unknown[]) => inner.stop(...args),
  };
}

/**
 * How far ahead of this clock a request's timestamp may be, in seconds: Slack's replay window is 5 minutes either way,
 * and Bolt's receivers check only the past, so a request signed for later would pass them.
 */
const FUTURE_WINDOW_S = 5 * 60;

/**
 * What a request gets before the receiver sees it, if anything: 401 when its timestamp is more than 5 minutes ahead
 * of `nowMs` (a request signed for a later replay); for a body that the receivers cannot take at all (see
 * {@link unreadableBody}), 401 when it is not signed with `signingSecret` (as the receivers refuse any unsigned
 * request), else 400. One log line for each refusal. Undefined when the receiver can take the request; it then
 * checks the signature and the timestamp's past side itself.
 */
export function refuseBeforeReceiver(
  body: string,
  header: (name: string) => string | undefined,
  signingSecret: string,
  logger: Logger,
  nowMs: number = Date.now(),
): { statusCode: 400 | 401 } | undefined {
  const ts = Number(header('x-slack-request-timestamp'));
  if (ts > nowMs / 1000 + FUTURE_WINDOW_S) {
    logger.warn('slack.bad_signature', { ts, problem: 'the request timestamp is more than 5 minutes ahead of this clock' });
    return { statusCode: 401 };
  }
  const problem = unreadableBody(body, header('content-type'));
  if (problem === undefined) return undefined;
  if (!isValidSlackRequest({ signingSecret, body, headers: { 'x-slack-signature': header('x-slack-signature') ?? '', 'x-slack-request-timestamp': ts } })) {
    logger.warn('slack.bad_signature', { ts });
    return { statusCode: 401 };
  }
  logger.warn('slack.malformed_payload', { kind: 'unreadable', problem });
  return { statusCode: 400 };
}

/**
 * Guards Bolt's HTTPReceiver (the local runtime) against bodies it cannot take: it reads `body.ssl_check` of whatever
 * it parsed, so a signed `null` throws inside its request handler, leaves the request unanswered and rejects a
 * promise nobody handles. Requests to `endpoint` are buffered (as Bolt itself would), refused by
 * {@link refuseBeforeReceiver} when unreadable or dated ahead, and handed on otherwise; other routes pass untouched.
 */
export function guardHttpReceiver(receiver: HTTPReceiver, signingSecret: string, logger: Logger, endpoint = '/slack/events'): HTTPReceiver {
  const listener = receiver.requestListener;
  const answer = (res: ServerResponse, statusCode: number) => void res.writeHead(statusCode).end();
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://localhost').pathname !== endpoint) return listener(req, res);
    HTTPModuleFunctions.bufferIncomingMessage(req, HTTPModuleFunctions.defaultBodyLimit).then(
      (buffered) => {
        const header = (name: string) => {
          const value = buffered.headers[name];
          return Array.isArray(value) ? value.join(',') : value;
        };
        const refused = refuseBeforeReceiver(buffered.rawBody.toString('utf8'), header, signingSecret, logger);
        if (refused) return answer(res, refused.statusCode);
        try {
          listener(buffered, res);
        } catch (err) {
          logger.error('slack.request_failed', { err });
          if (!res.headersSent) answer(res, 400);
        }
      },
      (err: unknown) => {
        // What Bolt answers when it cannot read a body: 413 when it is too large, 400 otherwise (a cut connection).
        const tooLarge = HTTPModuleFunctions.isRawBodyError(err) && (err.type === 'entity.too.large' || err.statusCode === 413);
        logger.warn('slack.request_unreadable', { problem: tooLarge ? 'the body is larger than Bolt takes' : 'the body could not be read', err });
        answer(res, tooLarge ? 413 : 400);
      },
    );
  };
  return receiver;
}

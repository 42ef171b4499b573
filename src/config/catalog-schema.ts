/**
 * The schema of `foxops.yml` (services and environments), with the checks that span keys.
 * Every problem comes back with its key path and the fix, so a bad file stops the start with a clear list.
 */
// zod/mini: the same validation at a fraction of the size that a cold start loads (see README > Benchmarks).
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import {
  type AlarmSettings,
  type Catalog,
  DEFAULT_AUDIT_RETENTION_DAYS,
  defaultRollbackMode,
  type FreezeWindow,
  rollbackApprovalsOf,
  type WeeklyTime,
} from '../domain/catalog.js';
import { parseDuration } from '../domain/duration.js';
import type { PreflightSettings } from '../domain/preflight-rules.js';
import type { ConfigProblem } from './errors.js';

// English messages for type errors ("expected number, received string"); mini ships none by default.
z.config(en());

const pattern = (re: RegExp, message: string) => z.string().check(z.regex(re, message));
const name = pattern(/^[a-z0-9][a-z0-9-]*$/, 'use lowercase letters, digits and dashes');
const duration = z.string().check(z.refine((s) => parseDuration(s) !== undefined, 'expected a duration like 30m, 2h or 90s'));
const isZero = (s: string) => /^0+[smhd]$/.test(s.trim());
const durationOrZero = z.string().check(z.refine((s) => isZero(s) || parseDuration(s) !== undefined, 'expected a duration like 15m, 1h or 0s'));
const slackId = pattern(/^[UWS][A-Z0-9]{2,}$/, 'expected a Slack user id (U…/W…) or user-group id (S…)');
const channelId = pattern(/^[CGD][A-Z0-9]{2,}$/, 'expected a Slack channel id like C0123ABCD (not the #name)');
const nonEmpty = z.string().check(z.minLength(1));
// Where break-glass requests go: a public or private channel, never a DM.
const auditChannelId = pattern(/^[CG][A-Z0-9]{2,}$/, 'expected a Slack channel id like C0123ABCD (not the #name)');

/**
 * True for an IANA zone name that this runtime knows. Intl rather than luxon: the schema runs on cold starts,
 * which must not load luxon. The leading letter refuses offsets like `+01:00`, which newer Intl accepts but luxon does not.
 */
function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z]/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
const timeZone = z.string().check(z.refine(isTimeZone, 'expected an IANA time zone name like Europe/Berlin'));

/** One end of a freeze window as written: a weekday and time (weekly), or a local date with an optional time (one-off). */
type FreezeTime = { kind: 'weekly'; time: WeeklyTime } | { kind: 'once'; date: string; time?: string };

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const two = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` when year, month and day make a real calendar date (no 2026-02-30), else undefined. */
function calendarDate(year: number, month: number, day: number): string | undefined {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}`;
}

/**
 * Reads `Fri 15:00`, `friday 15:00`, `2026-12-23`, `2026-12-23 18:00` or `2026-12-23T18:00`; undefined otherwise.
 * A Date is what a `%YAML 1.1` file makes of a bare date (UTC midnight): taken as that date; other Dates, which
 * carry an instant rather than a local time, are refused.
 */
function parseFreezeTime(value: unknown): FreezeTime | undefined {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()) || value.getUTCHours() || value.getUTCMinutes() || value.getUTCSeconds() || value.getUTCMilliseconds()) return undefined;
    return { kind: 'once', date: value.toISOString().slice(0, 10) };
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const weekly = /^([A-Za-z]+)\s+(\d{1,2}):(\d{2})$/.exec(text);
  if (weekly) {
    const word = weekly[1]!.toLowerCase();
    const index = WEEKDAYS.findIndex((d) => d === word || d.slice(0, 3) === word);
    const hour = Number(weekly[2]);
    const minute = Number(weekly[3]);
    if (index < 0 || hour > 23 || minute > 59) return undefined;
    return { kind: 'weekly', time: { weekday: (index + 1) as WeeklyTime['weekday'], hour, minute } };
  }
  const once = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/.exec(text);
  if (!once) return undefined;
  const date = calendarDate(Number(once[1]), Number(once[2]), Number(once[3]));
  if (!date) return undefined;
  if (once[4] === undefined) return { kind: 'once', date };
  const hour = Number(once[4]);
  const minute = Number(once[5]);
  return hour > 23 || minute > 59 ? undefined : { kind: 'once', date, time: `${two(hour)}:${two(minute)}` };
}

/** The day after `YYYY-MM-DD`, by the calendar (no time zone is involved). */
function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

const freezeTime = z.custom<string | Date>(
  (v) => parseFreezeTime(v) !== undefined,
  'expected a weekday and time like `Fri 15:00`, or a date like `2026-12-23` (optionally with a time, `2026-12-23 18:00`)',
);

const freezeSchema = z.strictObject({
  from: freezeTime,
  to: freezeTime,
  reason: z.string().check(z.trim(), z.minLength(1, 'say why deploys stop'), z.maxLength(300, 'keep the reason to 300 characters')),
  time_zone: z.optional(timeZone),
});

const targetSchema = z.strictObject({
  function: z.optional(nonEmpty),
  alias: z.optional(nonEmpty),
  stack: z.optional(nonEmpty),
  region: z.optional(pattern(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region like eu-west-1')),
  alarms: z.optional(z.array(pattern(/^[^*\s]+\*?$/, 'expected an alarm name, or a prefix ending in *')).check(z.minLength(1, 'name at least one alarm'))),
});

const serviceSchema = z.strictObject({
  aliases: z._default(z.array(name), []),
  repo: pattern(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name of a GitHub repository'),
  workflow: z.union([pattern(/^[\w.-]+\.ya?ml$/, 'expected the workflow file name, like deploy.yml'), z.int().check(z.positive())]),
  default_ref: z._default(nonEmpty, 'main'),
  targets: z._default(z.record(z.string(), targetSchema), {}),
  rollback: z.optional(z.enum(['alias', 'redeploy'])),
  risky_paths: z.optional(z.array(pattern(/^[^\s]+$/, 'expected a path glob like migrations/**'))),
  max_commits: z.optional(z.int().check(z.minimum(1), z.maximum(10000))),
});

/** An environment's `checks:` (src/domain/preflight-rules.ts); the CI check's keys go here too. */
const checksSchema = z.strictObject({
  provenance: z.optional(z.enum(['refuse', 'warn', 'off'])),
  ordering: z.optional(z.enum(['refuse', 'warn', 'off'])),
  workflow: z.optional(z.enum(['warn', 'off'])),
  allowed_refs: z.optional(z.array(nonEmpty)),
});

const environmentSchema = z.strictObject({
  aliases: z._default(z.array(name), []),
  channels: z.array(channelId).check(z.minLength(1, 'name at least one channel id')),
  approvals: z.int().check(z.minimum(0), z.maximum(10)),
  approvers: z._default(z.array(slackId), []),
  requesters: z._default(z.union([z.literal('any'), z.array(slackId).check(z.minLength(1))]), 'any'),
  request_ttl: z._default(duration, '30m'),
  stale_after: z._default(duration, '3m'),
  run_timeout: z._default(duration, '60m'),
  rollback_approvals: z.optional(z.int().check(z.minimum(0), z.maximum(10))),
  promote_from: z.optional(name),
  promote_after: z._default(durationOrZero, '0s'),
  require_promotion: z._default(z.boolean(), false),
  time_zone: z._default(timeZone, 'UTC'),
  freezes: z._default(z.array(freezeSchema), []),
  rollbacks_in_freeze: z._default(z.enum(['allow', 'break_glass']), 'allow'),
  break_glass_approvers: z._default(z.array(slackId), []),
  audit_channel: z.optional(auditChannelId),
  auditors: z._default(z.array(slackId), []),
  bake: z.optional(duration),
  auto_rollback: z._default(z.boolean(), false),
  notify: z._default(z.enum(['all', 'failures', 'none']), 'all'),
  checks: z.optional(checksSchema),
  required_checks: z.optional(z.array(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))).check(z.maxLength(50))),
});

/** The top-level `alarms:` (src/domain/alarm.ts reads it). */
const alarmsSchema = z.strictObject({
  default_channel: z.optional(channelId),
  window: z.optional(durationOrZero),
  // One message per episode (src/domain/alarm-episode.ts); each key defaults to the value named in its fix below.
  flapping: z.optional(z.strictObject({ changes: z._default(z.int().check(z.minimum(1), z.maximum(1000)), 5), within: z._default(duration, '10m') })),
  storm: z.optional(z.strictObject({ alarms: z._default(z.int().check(z.minimum(1), z.maximum(1000)), 10), within: z._default(duration, '1m') })),
  new_message_after: z.optional(duration),
});

/** The catalog's {@link AlarmSettings} from the validated `alarms:`; only the keys that were written. */
function alarmSettingsOf(alarms: z.infer<typeof alarmsSchema>): AlarmSettings {
  return {
    ...(alarms.default_channel ? { defaultChannel: alarms.default_channel } : {}),
    ...(alarms.window !== undefined ? { windowMs: isZero(alarms.window) ? 0 : parseDuration(alarms.window)! } : {}),
    ...(alarms.flapping ? { flapping: { changes: alarms.flapping.changes, withinMs: parseDuration(alarms.flapping.within)! } } : {}),
    ...(alarms.storm ? { storm: { alarms: alarms.storm.alarms, withinMs: parseDuration(alarms.storm.within)! } } : {}),
    ...(alarms.new_message_after !== undefined ? { newMessageAfterMs: parseDuration(alarms.new_message_after)! } : {}),
  };
}

const notEmpty = (what: string) => z.refine((record: unknown) => Object.keys(record as object).length > 0, `name at least one ${what}`);

/** The raw shape of `foxops.yml`. */
export const catalogFileSchema = z.strictObject({
  services: z.record(name, serviceSchema).check(notEmpty('service')),
  environments: z.record(name, environmentSchema).check(notEmpty('environment')),
  default_service: z.optional(name),
  audit_retention_days: z._default(z.int().check(z.minimum(1), z.maximum(3650)), DEFAULT_AUDIT_RETENTION_DAYS),
  alarms: z.optional(alarmsSchema),
});

const FIXES: Array<[RegExp, string]> = [
  [/\.rollback_approvals$/, 'a whole number of approvals for a rollback from 0 to 10, e.g. `rollback_approvals: 1`'],
  [
    /\.rollback$/,
    '`rollback: alias` (point the Lambda alias back; every target needs a `function`) or `rollback: redeploy` (run the workflow for the old SHA)',
  ],
  [/\.channels/, 'list channel ids, e.g. `channels: [C0PROD]` (channel details > About > Channel ID)'],
  [/\.approvals$/, 'a whole number of approvals from 0 to 10, e.g. `approvals: 2`'],
  [/\.approvers/, 'list Slack user ids (U…) or user-group ids (S…), e.g. `approvers: [U0ALICE, S0RELEASE]`'],
  [/\.requesters/, '`requesters: any`, or a list of user / user-group ids'],
  [/\.repo$/, 'the GitHub repository as owner/name, e.g. `repo: foxy-org/foxy-backend`'],
  [/\.workflow$/, 'the file name under .github/workflows, e.g. `workflow: deploy.yml`'],
  [/\.promote_from$/, 'the name of the environment promotions come from, e.g. `promote_from: staging`'],
  [/\.promote_after$/, 'a duration the source deploy must have run before promotion, e.g. `promote_after: 15m` (`0s`: at once)'],
  [/\.require_promotion$/, '`require_promotion: true` (deploys must ship a SHA that succeeded in `promote_from`) or `false`'],
  // Before the targets' `alarms` below, which `alarms.storm.alarms` would match too.
  [/^alarms\.storm\.alarms$/, 'a whole number of alarm messages from 1 to 1000, e.g. `alarms: { storm: { alarms: 10, within: 1m } }` (the default)'],
  [/\.alarms(\.\d+)?$/, 'list CloudWatch alarm names or prefixes ending in *, e.g. `alarms: [foxy-backend-staging-*]`'],
  [/_ttl$|stale_after$|run_timeout$/, 'a duration such as `30m`, `2h` or `90s`'],
  [/\.region$/, 'an AWS region such as `eu-west-1`'],
  [/\.time_zone$/, 'an IANA time zone such as `Europe/Berlin` (default `UTC`)'],
  [
    /\.freezes\.\d+\.(from|to)$/,
    'a weekday and 24h time for a weekly freeze (`from: Fri 15:00`, `to: Mon 08:00`), or dates for a one-off one ' +
      '(`from: 2026-12-23`, `to: 2027-01-04`, the `to` day included; or with times, `2026-12-23 18:00`)',
  ],
  [/\.freezes\.\d+\.reason$/, 'say why deploys stop, in up to 300 characters, e.g. `reason: year-end freeze`'],
  [/\.freezes(\.\d+)?$/, 'list freeze windows, e.g. `freezes: [{ from: Fri 15:00, to: Mon 08:00, reason: weekend }]`'],
  [/\.rollbacks_in_freeze$/, '`rollbacks_in_freeze: allow` (rollbacks go ahead during a freeze) or `break_glass` (they need break-glass approval)'],
  [/\.break_glass_approvers/, 'list Slack user ids (U…) or user-group ids (S…) who approve emergency deploys, e.g. `break_glass_approvers: [U0ALICE, U0BOB]`'],
  [/\.audit_channel$/, 'the id of the channel for break-glass requests, e.g. `audit_channel: C0AUDIT` (channel details > About > Channel ID)'],
  [/\.auditors/, 'list Slack user ids (U…) or user-group ids (S…) who may export the audit trail, e.g. `auditors: [U0CAROL]`'],
  [/\.bake$/, 'a duration after a deploy during which an alarm counts as caused by it, e.g. `bake: 30m`'],
  [/\.notify$/, '`notify: all` (thread replies when a run starts and ends, the default), `failures` (only when it fails) or `none`'],
  [/\.auto_rollback$/, '`auto_rollback: true` (an alarm during `bake` rolls back at once, without approvals) or `false`'],
  [/\.checks\.(provenance|ordering)$/, '`refuse` (a ✗ refuses the request), `warn` (shown as ⚠ only) or `off`, e.g. `checks: { provenance: refuse }`'],
  [/\.checks\.workflow$/, "`warn` (a workflow file that differs from the default branch's is shown as ⚠) or `off`"],
  [/\.checks\.allowed_refs/, 'list branches a SHA may come from besides the default branch, e.g. `checks: { allowed_refs: [release/*] }`'],
  [/\.checks$/, 'a map of pre-flight settings, e.g. `checks: { provenance: refuse, ordering: refuse, workflow: warn, allowed_refs: [release/*] }`'],
  [/\.risky_paths/, 'list path globs whose change is risky, e.g. `risky_paths: [migrations/**, infra/**]`'],
  [/\.max_commits$/, 'a whole number of commits from 1 to 10000 above which the card warns, e.g. `max_commits: 20` (the default)'],
  [
    /\.required_checks/,
    "list the check run and commit status names that must be green on the SHA, e.g. `required_checks: [build, test]` (`[]`: none; absent: the default branch's protection)",
  ],
  [/^audit_retention_days$/, 'a whole number of days from 1 to 3650, e.g. `audit_retention_days: 400`'],
  [
    /^alarms\.default_channel$/,
    'the id of the channel for alarms that belong to no service, e.g. `alarms: { default_channel: C0OPS }` (channel details > About > Channel ID)',
  ],
  [/^alarms\.flapping\.changes$/, 'a whole number of state changes from 1 to 1000, e.g. `alarms: { flapping: { changes: 5, within: 10m } }` (the default)'],
  [
    /^alarms\.flapping(\.within)?$/,
    'more than `changes` state changes `within` a duration is flapping, e.g. `alarms: { flapping: { changes: 5, within: 10m } }`',
  ],
  [
    /^alarms\.storm(\.within)?$/,
    'past `alarms` new alarm messages in a channel `within` a duration, a digest lists the rest, e.g. `alarms: { storm: { alarms: 10, within: 1m } }`',
  ],
  [
    /^alarms\.new_message_after$/,
    'how long an alarm is out of ALARM before its next change gets a new message, e.g. `alarms: { new_message_after: 30m }` (the default)',
  ],
  [/^alarms\.window$/, 'how long after a deploy an alarm names it as the likely cause, e.g. `alarms: { window: 60m }` (`0s`: never)'],
  [/^alarms$/, 'a map of alarm settings, e.g. `alarms: { default_channel: C0OPS, window: 60m }`'],
  [/^services$/, 'add a `services:` map, see foxops.yml in the repository for an example'],
  [/^environments$/, 'add an `environments:` map, see foxops.yml in the repository for an example'],
];

function fixFor(path: string, fallback: string): string {
  return FIXES.find(([re]) => re.test(path))?.[1] ?? fallback;
}

/** The catalog's pre-flight settings from the validated `checks:`; only the keys that were written. */
function checksOf(checks: z.infer<typeof checksSchema>): Partial<PreflightSettings> {
  return {
    ...(checks.provenance ? { provenance: checks.provenance } : {}),
    ...(checks.ordering ? { ordering: checks.ordering } : {}),
    ...(checks.workflow ? { workflow: checks.workflow } : {}),
    ...(checks.allowed_refs ? { allowedRefs: checks.allowed_refs } : {}),
  };
}

/** `promote_from` names another environment that exists; `require_promotion` needs it. */
function promotionChecks(
  environments: Record<string, unknown>,
  env: string,
  def: { promote_from?: string | undefined; require_promotion: boolean },
): ConfigProblem[] {
  const from = def.promote_from;
  if (from === undefined) {
    return def.require_promotion
      ? [
          {
            where: `environments.${env}.require_promotion`,
            problem: '`require_promotion: true` needs an environment to promote from, but `promote_from` is not set',
            fix: `add \`promote_from: <environment>\` to environments.${env}, or set \`require_promotion: false\``,
          },
        ]
      : [];
  }
  if (from === env)
    return [{ where: `environments.${env}.promote_from`, problem: 'an environment cannot promote from itself', fix: 'name another environment' }];
  if (!Object.hasOwn(environments, from)) {
    return [
      {
        where: `environments.${env}.promote_from`,
        problem: `there is no environment \`${from}\``,
        fix: `use one of: ${Object.keys(environments)
          .filter((e) => e !== env)
          .join(', ')}`,
      },
    ];
  }
  // `require_promotion` on a chain of `promote_from` that comes back to this environment: no SHA could ever be the
  // first to ship anywhere on it.
  if (def.require_promotion) {
    const chain = [env];
    let at: string | undefined = from;
    while (at !== undefined && !chain.includes(at)) {
      chain.push(at);
      const next: unknown = (environments[at] as { promote_from?: unknown } | undefined)?.promote_from;
      at = typeof next === 'string' ? next : undefined;
    }
    if (at === env)
      return [
        {
          where: `environments.${env}.require_promotion`,
          problem: `\`promote_from\` goes round in a circle (${[...chain, env].join(' → ')}), so with \`require_promotion: true\` nothing could ever be deployed here`,
          fix: `break the circle: one of them promotes from none (remove its \`promote_from\`), or set \`require_promotion: false\` on environments.${env}`,
        },
      ];
  }
  return [];
}

type FreezeEntry = z.infer<typeof freezeSchema>;
/** A problem of one freeze entry: `key` is the entry's key it is about, or '' for the entry as a whole. */
type FreezeProblem = { key: 'to' | ''; problem: string; fix: string };

const asWritten = (value: string | Date) => (typeof value === 'string' ? value.trim() : value.toISOString().slice(0, 10));

/**
 * The {@link FreezeWindow} a freeze entry describes, in its own zone or else `envZone`; or why it describes none.
 * A date-only `to` becomes 00:00 of the next day: "the 23rd to the 4th" includes the 4th.
 */
function freezeWindowOf(entry: FreezeEntry, envZone: string): FreezeWindow | FreezeProblem {
  // The schema let only readable values through.
  const from = parseFreezeTime(entry.from)!;
  const to = parseFreezeTime(entry.to)!;
  const base = { timeZone: entry.time_zone ?? envZone, reason: entry.reason };
  if (from.kind === 'weekly' && to.kind === 'weekly') {
    if (from.time.weekday === to.time.weekday && from.time.hour === to.time.hour && from.time.minute === to.time.minute) {
      return {
        key: 'to',
        problem: '`to` is the same time of the week as `from`, so the freeze would have no length',
        fix: 'end it at another time, e.g. `from: Fri 15:00`, `to: Mon 08:00`',
      };
    }
    return { kind: 'weekly', from: from.time, to: to.time, ...base };
  }
  if (from.kind === 'once' && to.kind === 'once') {
    const start = `${from.date}T${from.time ?? '00:00'}`;
    const end = to.time === undefined ? `${nextDay(to.date)}T00:00` : `${to.date}T${to.time}`;
    // Both are wall-clock times in one zone, in the same format: their order as text is their order in time.
    if (end <= start) {
      return {
        key: 'to',
        problem: `\`to\` (${asWritten(entry.to)}) is not after \`from\` (${asWritten(entry.from)})`,
        fix: 'put `to` after `from`; a date-only `to` includes that whole day, so `from: 2026-12-23`, `to: 2026-12-23` freezes that one day',
      };
    }
    return { kind: 'once', from: start, to: end, ...base };
  }
  return {
    key: '',
    problem: 'one of `from` and `to` is a weekday and time, the other a date: a freeze is either weekly or one-off',
    fix: 'write both as weekdays with times (`from: Fri 15:00`, `to: Mon 08:00`) or both as dates (`from: 2026-12-23`, `to: 2027-01-04`)',
  };
}

const isWindow = (w: FreezeWindow | FreezeProblem): w is FreezeWindow => 'kind' in w;

/** Each freeze entry makes a window; with freezes, break-glass must be approvable. */
function freezeChecks(env: string, def: { time_zone: string; freezes: FreezeEntry[]; break_glass_approvers: string[] }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [i, entry] of def.freezes.entries()) {
    const window = freezeWindowOf(entry, def.time_zone);
    if (!isWindow(window)) {
      const { key, ...rest } = window;
      problems.push({ where: `environments.${env}.freezes.${i}${key ? `.${key}` : ''}`, ...rest });
    }
  }
  // Break-glass needs two different approvers besides the requester; a group can always supply them.
  const users = new Set(def.break_glass_approvers.filter((id) => !id.startsWith('S')));
  const hasGroups = def.break_glass_approvers.some((id) => id.startsWith('S'));
  if (def.freezes.length > 0 && !hasGroups && users.size < 2) {
    problems.push({
      where: `environments.${env}.break_glass_approvers`,
      problem:
        `freezes are set, and a break-glass deploy needs two different approvers besides the requester, but only ${users.size} ` +
        'approver(s) are listed, so no emergency deploy during a freeze could ever be approved',
      fix: 'list at least two user ids or a user group (S…), e.g. `break_glass_approvers: [U0ALICE, U0BOB]`',
    });
  }
  return problems;
}

/** Cross-key checks that zod's per-key schema cannot express. */
function crossChecks(file: z.infer<typeof catalogFileSchema>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  const claim = (word: string, owner: string, where: string) => {
    const other = seen.get(word);
    if (other && other !== owner)
      problems.push({ where, problem: `\`${word}\` already names ${other}`, fix: 'give every service, environment and alias a distinct word' });
    seen.set(word, owner);
  };
  for (const [env, def] of Object.entries(file.environments)) {
    claim(env, `environment ${env}`, `environments.${env}`);
    for (const [i, a] of def.aliases.entries()) claim(a, `environment ${env}`, `environments.${env}.aliases.${i}`);
    // An id listed twice is still one person.
    const users = [...new Set(def.approvers.filter((id) => !id.startsWith('S')))];
    const hasGroups = def.approvers.some((id) => id.startsWith('S'));
    if (def.approvals > 0 && !hasGroups && users.length < def.approvals) {
      problems.push({
        where: `environments.${env}.approvers`,
        problem: `${def.approvals} approvals are needed but only ${users.length} approver(s) are listed, so no request could ever be approved`,
        fix: `list at least ${def.approvals} approvers, or a user group (S…), or lower \`approvals\``,
      });
    }
    problems.push(...promotionChecks(file.environments, env, def));
    problems.push(...freezeChecks(env, def));
    const rollbackApprovals = def.rollback_approvals;
    if (rollbackApprovals !== undefined && rollbackApprovals > 0 && !hasGroups && users.length < rollbackApprovals) {
      problems.push({
        where: `environments.${env}.rollback_approvals`,
        problem:
          `${rollbackApprovals} approvals are needed for a rollback but only ${users.length} approver(s) are listed, ` +
          'so no rollback could ever be approved',
        fix: `list at least ${rollbackApprovals} approvers, or a user group (S…), or lower \`rollback_approvals\``,
      });
    }
    // Without a bake window no alarm is ever "during bake": the setting would silently do nothing.
    if (def.auto_rollback && def.bake === undefined) {
      problems.push({
        where: `environments.${env}.auto_rollback`,
        problem: '`auto_rollback: true` acts on alarms during the bake window, but `bake` is not set',
        fix: `add \`bake: <duration>\` (e.g. \`bake: 30m\`) to environments.${env}, or set \`auto_rollback: false\``,
      });
    }
  }
  for (const [svc, def] of Object.entries(file.services)) {
    claim(svc, `service ${svc}`, `services.${svc}`);
    for (const [i, a] of def.aliases.entries()) claim(a, `service ${svc}`, `services.${svc}.aliases.${i}`);
    for (const env of Object.keys(def.targets)) {
      // Own keys only: a target named `constructor` or `toString` must not find Object's members.
      if (!Object.hasOwn(file.environments, env)) {
        problems.push({
          where: `services.${svc}.targets.${env}`,
          problem: `there is no environment \`${env}\``,
          fix: `use one of: ${Object.keys(file.environments).join(', ')}`,
        });
      }
    }
    if (def.rollback === 'alias') {
      // A rollback by alias moves the target's Lambda alias: every target must name the function it moves.
      const without = Object.entries(def.targets)
        .filter(([, t]) => !t.function)
        .map(([env]) => env);
      if (Object.keys(def.targets).length === 0 || without.length) {
        problems.push({
          where: `services.${svc}.rollback`,
          problem: without.length
            ? `\`alias\` moves each target's Lambda alias, but ${without.map((e) => `targets.${e}`).join(', ')} name(s) no \`function\``
            : "`alias` moves each target's Lambda alias, but the service has no `targets`",
          fix:
            'add `function: <name>` (and `alias:` unless it is `live`) to ' +
            `${without.length ? without.map((e) => `targets.${e}`).join(', ') : `targets.<env>`}, or set \`rollback: redeploy\``,
        });
      }
    }
  }
  if (file.default_service && !Object.hasOwn(file.services, file.default_service)) {
    problems.push({
      where: 'default_service',
      problem: `there is no service \`${file.default_service}\``,
      fix: `use one of: ${Object.keys(file.services).join(', ')}`,
    });
  }
  return problems;
}

/**
 * Validates the parsed `foxops.yml` content and turns it into a {@link Catalog}.
 * Returns the problems instead when there are any; `source` prefixes each key path.
 */
export function parseCatalog(raw: unknown, source: string): { catalog: Catalog } | { problems: ConfigProblem[] } {
  const parsed = catalogFileSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((issue) => {
        const path = issue.path.map(String).join('.') || '(top level)';
        const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
        return {
          where: `${source}: ${path}`,
          problem: unknownKeys.length ? `unknown key(s) ${unknownKeys.map((k) => `\`${k}\``).join(', ')}` : issue.message,
          fix: unknownKeys.length
            ? 'remove or rename them; see the configuration reference in docs/configuration.md'
            : fixFor(path, 'see the configuration reference in docs/configuration.md'),
        };
      }),
    };
  }
  const file = parsed.data;
  const problems = crossChecks(file).map((p) => ({ ...p, where: `${source}: ${p.where}` }));
  if (problems.length) return { problems };
  const catalog: Catalog = {
    services: Object.entries(file.services).map(([svc, def]) => ({
      name: svc,
      aliases: def.aliases,
      repo: def.repo,
      workflow: String(def.workflow),
      defaultRef: def.default_ref,
      targets: Object.fromEntries(
        Object.entries(def.targets).map(([env, t]) => [
          env,
          { functionName: t.function, alias: t.alias, stack: t.stack, region: t.region, ...(t.alarms ? { alarms: t.alarms } : {}) },
        ]),
      ),
      rollback: def.rollback ?? defaultRollbackMode(Object.fromEntries(Object.entries(def.targets).map(([env, t]) => [env, { functionName: t.function }]))),
      ...(def.risky_paths ? { riskyPaths: def.risky_paths } : {}),
      ...(def.max_commits !== undefined ? { maxCommits: def.max_commits } : {}),
    })),
    environments: Object.entries(file.environments).map(([env, def]) => ({
      name: env,
      aliases: def.aliases,
      channels: def.channels,
      approvals: def.approvals,
      approvers: def.approvers,
      requesters: def.requesters,
      requestTtlMs: parseDuration(def.request_ttl)!,
      staleAfterMs: parseDuration(def.stale_after)!,
      runTimeoutMs: parseDuration(def.run_timeout)!,
      rollbackApprovals: rollbackApprovalsOf({ approvals: def.approvals, rollbackApprovals: def.rollback_approvals }),
      ...(def.promote_from ? { promoteFrom: def.promote_from } : {}),
      promoteAfterMs: isZero(def.promote_after) ? 0 : parseDuration(def.promote_after)!,
      requirePromotion: def.require_promotion,
      timeZone: def.time_zone,
      // crossChecks refused every entry that makes no window.
      freezes: def.freezes.map((entry) => freezeWindowOf(entry, def.time_zone)).filter(isWindow),
      rollbacksInFreeze: def.rollbacks_in_freeze,
      breakGlassApprovers: def.break_glass_approvers,
      ...(def.audit_channel ? { auditChannel: def.audit_channel } : {}),
      auditors: def.auditors,
      ...(def.bake !== undefined ? { bakeMs: parseDuration(def.bake)! } : {}),
      ...(def.auto_rollback ? { autoRollback: true } : {}),
      ...(def.notify !== 'all' ? { notify: def.notify } : {}),
      ...(def.checks ? { checks: checksOf(def.checks) } : {}),
      ...(def.required_checks ? { requiredChecks: def.required_checks } : {}),
    })),
    ...(file.default_service ? { defaultService: file.default_service } : {}),
    auditRetentionDays: file.audit_retention_days,
    ...(file.alarms ? { alarms: alarmSettingsOf(file.alarms) } : {}),
  };
  return { catalog };
}

/**
 * `/deploy audit` end to end through the real Lambda handler: the command answers within the ack, the job comes back
 * through the table's stream, and the person gets a CSV and a JSON Lines file in a direct message, uploaded the
 * external way (files.getUploadURLExternal, the upload URL, files.completeUploadExternal) to the loopback Slack.
 * Also: a refused `/deploy` lands in the trail, a retried command exports once, and who may not export is told who may.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { CSV_COLUMNS } from '../../src/audit/export.js';
import type { AuditEntry } from '../../src/domain/ports.js';
import { REPO, type Harness, startHarness, TEST_CONFIG } from '../support/harness.js';

let h: Harness;

/** {@link TEST_CONFIG} where staging names an auditor, U0ERIN, who approves nothing. */
const CONFIG = TEST_CONFIG.replace('    approvals: 0\n', '    approvals: 0\n    auditors: [U0ERIN]\n');

beforeEach(async () => {
  h = await startHarness({ config: CONFIG });
  h.github.pushCommits(REPO, 'main', 2);
});
afterEach(async () => {
  await h.close();
});

const MINUTE = 60_000;
const later = (ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
const answer = (result: { body: string }) => JSON.parse(result.body) as { text: string; response_type: string };
const exportDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith('foxops-audit-'));

/** Some history: a production request (its prepare job pins the ref), a refused request from the wrong channel, a staging deploy. */
async function someHistory(): Promise<void> {
  await h.command('prod', { user: 'U0DAVE' });
  await h.idle();
  later(MINUTE);
  await h.command('prod', { user: 'U0DAVE', channel: 'C0STAGING' });
  later(MINUTE);
  await h.command('staging', { user: 'U0DAVE', channel: 'C0STAGING' });
  await h.idle();
  later(MINUTE);
}

describe('/deploy audit', () => {
  it('sends an approver a CSV and a JSON Lines file of production in a direct message, the refused request included', async () => {
    // Prepare
    await someHistory();
    const before = exportDirs();

    // Act
    const result = answer(await h.command('audit prod since 7d', { user: 'U0ALICE', triggerId: 'trigger-audit-1' }));
    await h.idle();

    // Assess: the answer
    expect(result.response_type).toBe('ephemeral');
    expect(result.text).toContain('Exporting the audit trail of *production* for the last 7d');
    expect(result.text).toContain('direct message');

    // Assess: the direct message holds both files, completed in one call with the comment
    const dm = h.slack.dmChannel('U0ALICE');
    expect(h.slack.callsTo('conversations.open').map((c) => c.args.users)).toEqual(['U0ALICE']);
    const files = h.slack.filesIn(dm);
    expect(files.map((f) => f.filename)).toEqual([expect.stringMatching(/^foxops-audit-production-.*\.csv$/), expect.stringMatching(/\.jsonl$/)]);
    expect(h.slack.callsTo('files.completeUploadExternal')).toHaveLength(1);
    expect(files[0]!.initialComment).toMatch(/^:ledger: The audit trail of \*production\* from .* UTC to .* UTC: 3 entries, oldest first/);
    for (const file of files) {
      expect(file.content!.length).toBe(file.length);
      expect(file.headers?.contentLength).toBe(String(file.length));
    }

    // Assess: the contents, the same two entries in both formats, oldest first
    const lines = files[1]!.content!.toString('utf8').trimEnd().split('\n');
    const entries = lines.map((l) => JSON.parse(l) as AuditEntry);
    const requestId = entries[0]!.requestId;
    expect(entries).toEqual([
      expect.objectContaining({
        environment: 'production',
        service: 'foxy-backend',
        actor: 'U0DAVE',
        action: 'request',
        outcome: 'ok',
        requestId: expect.any(String),
      }),
      expect.objectContaining({ environment: 'production', service: 'foxy-backend', actor: 'foxops', action: 'pin', outcome: 'ok', requestId }),
      expect.objectContaining({ environment: 'production', service: 'foxy-backend', actor: 'U0DAVE', action: 'request', outcome: 'refused' }),
    ]);
    expect(entries[2]!.requestId).toBeUndefined();
    expect(JSON.parse(entries[2]!.detail!)).toMatchObject({ code: 'wrong_channel', environment: 'production' });
    const csv = files[0]!.content!.toString('utf8').split('\r\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv.slice(1, -1)).toHaveLength(3);
    expect(csv[3]).toContain(',U0DAVE,request,refused,"{""code"":""wrong_channel""');

    // Assess: the export itself is in production's trail, and its temporary files are gone
    const trail = [];
    for await (const e of h.store.audit.read({ environments: ['production'], since: new Date(0), until: new Date(h.clock.now.getTime() + 1) })) trail.push(e);
    expect(trail.at(-1)).toMatchObject({ actor: 'U0ALICE', action: 'audit_export', outcome: 'ok', environment: 'production' });
    expect(exportDirs()).toEqual(before);
  });

  it('exports once when Slack sends the same command again', async () => {
    // Prepare
    await someHistory();
    await h.command('audit prod', { user: 'U0ALICE', triggerId: 'trigger-audit-twice' });
    await h.idle();

    // Act
    const again = answer(await h.command('audit prod', { user: 'U0ALICE', triggerId: 'trigger-audit-twice' }));
    await h.idle();

    // Assess
    expect(again.text).toContain('Exporting the audit trail of *production*');
    expect(h.slack.callsTo('files.completeUploadExternal')).toHaveLength(1);
    expect(h.slack.filesIn(h.slack.dmChannel('U0ALICE'))).toHaveLength(2);
  });

  it('lets a member of an approver group export, and an auditor export what they audit when no environment is named', async () => {
    // Prepare
    await someHistory();

    // Act
    const carol = answer(await h.command('audit production', { user: 'U0CAROL' }));
    const erin = answer(await h.command('audit', { user: 'U0ERIN' }));
    await h.idle();

    // Assess
    expect(carol.text).toContain('*production*');
    expect(erin.text).toContain('Exporting the audit trail of *staging* for the last 30d');
    expect(h.slack.filesIn(h.slack.dmChannel('U0CAROL'))).toHaveLength(2);
    const erinFiles = h.slack.filesIn(h.slack.dmChannel('U0ERIN'));
    expect(erinFiles[0]!.filename).toMatch(/^foxops-audit-staging-/);
    expect(erinFiles[1]!.content!.toString('utf8')).toContain('"environment":"staging"');
  });

  it('refuses someone who neither approves nor audits, naming who may, and audits the refusal', async () => {
    // Act
    const named = answer(await h.command('audit prod', { user: 'U0DAVE' }));
    const any = answer(await h.command('audit', { user: 'U0DAVE' }));
    later(MINUTE);
    await h.idle();

    // Assess
    expect(named.text).toBe(
      ":no_entry_sign: Only an environment's approvers and auditors may export its audit trail. Ask one of them:\n" +
        '• *production*: <@U0ALICE>, <@U0BOB>, <!subteam^S0RELEASE>',
    );
    expect(any.text).toContain('• *staging*: <@U0ERIN>');
    expect(h.slack.callsTo('conversations.open')).toHaveLength(0);
    expect(h.slack.uploads).toHaveLength(0);
    const trail = [];
    for await (const e of h.store.audit.read({ environments: ['production', '-'], since: new Date(0), until: h.clock.now })) trail.push(e);
    expect(trail).toEqual([
      expect.objectContaining({ environment: 'production', actor: 'U0DAVE', action: 'audit_export', outcome: 'refused' }),
      expect.objectContaining({ actor: 'U0DAVE', action: 'audit_export', outcome: 'refused' }),
    ]);
    expect(trail[1]!.environment).toBeUndefined();
  });
});

describe('/deploy audit when Slack fails an upload', () => {
  it('gives the job back, removes its files, and the next delivery sends both', async () => {
    // Prepare
    await someHistory();
    h.slack.failNext('file_upload', { status: 500 });
    const before = exportDirs();

    // Act
    await h.command('audit prod', { user: 'U0BOB' });
    await h.idle();

    // Assess: the failed attempt's file was never completed; Slack drops such uploads
    const files = h.slack.filesIn(h.slack.dmChannel('U0BOB'));
    expect(files.map((f) => f.filename.split('.').at(-1))).toEqual(['csv', 'jsonl']);
    expect(h.slack.uploads.filter((u) => !u.completed)).toHaveLength(1);
    expect(exportDirs()).toEqual(before);
  });
});

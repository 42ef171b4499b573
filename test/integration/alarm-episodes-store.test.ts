/**
 * Alarm episodes, storm windows and digests on dynalite, through the real adapter: each write is one conditional put
 * on the version read, so of two jobs writing from the same read, exactly one wins; items round-trip whole.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { AlarmNotice } from '../../src/domain/alarm.js';
import { applyAlarmChange, DEFAULT_EPISODE_SETTINGS, joinDigest, placeEpisode } from '../../src/domain/alarm-episode.js';
import { DynamoAlarmEpisodes } from '../../src/store/alarm-episodes.js';
import { ensureTable } from '../../src/store/table.js';
import { type Dynalite, startDynalite } from '../fakes/dynamodb.js';

let db: Dynalite;
let client: DynamoDBClient;
let store: DynamoAlarmEpisodes;
let table: string;
let tableCount = 0;
const NOW = new Date('2026-11-28T10:00:00.000Z');

beforeAll(async () => {
  db = await startDynalite();
  client = new DynamoDBClient({ endpoint: db.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterAll(async () => {
  client.destroy();
  await db.close();
});
beforeEach(async () => {
  table = `foxops-alarms-${++tableCount}`;
  await ensureTable(client, table);
  store = new DynamoAlarmEpisodes(client, table, () => NOW);
});

const notice = (state: AlarmNotice['state'], at: string): AlarmNotice => ({ name: 'foxy-backend-production-errors', state, reason: 'r', at });
/** The episode the first ALARM opens, not stored yet. */
function opened() {
  const decision = applyAlarmChange(undefined, notice('ALARM', '2026-11-28T10:00:00.000Z'), {
    settings: DEFAULT_EPISODE_SETTINGS,
    channel: 'C0PROD',
    placement: { channel: 'C0PROD' },
  });
  if (decision.kind !== 'applied') throw new Error(decision.kind);
  return decision.episode;
}

test('an episode is created once, then written only on the version read; it comes back whole', async () => {
  // Prepare
  const episode = opened();

  // Act
  const [a, b] = await Promise.all([store.save(episode, 0), store.save({ ...episode, reason: 'other' }, 0)]);
  const stored = await store.get(episode.name);
  const stale = await store.save({ ...stored!, reason: 'from an old read' }, 0);
  const next = await store.save({ ...stored!, reason: 'newer' }, 1);

  // Assess
  expect([a, b].sort()).toEqual([false, true]);
  expect(stored).toEqual({ ...(a ? episode : { ...episode, reason: 'other' }), version: 1 });
  expect(stale).toBe(false);
  expect(next).toBe(true);
  expect(await store.get(episode.name)).toMatchObject({ reason: 'newer', version: 2 });
  // The item under ALARM#<name>, kept 90 days after its last write.
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { PK: { S: `ALARM#${episode.name}` }, SK: { S: '#EPISODE' } } }));
  expect(Number(Item!.ttl!.N)).toBe(NOW.getTime() / 1000 + 90 * 86_400);
});

test('a storm window and a digest are written the same way, under STORM#<channel>', async () => {
  // Prepare
  const { window } = placeEpisode(undefined, 'C0PROD', 'e1', NOW, DEFAULT_EPISODE_SETTINGS);
  const episode = opened();
  const { digest } = joinDigest(undefined, { channel: 'C0PROD', id: '2026-11-28T10:00:00.000Z#1' }, episode.name, NOW);

  // Act
  const saved = [await store.saveWindow(window, 0), await store.saveWindow(window, 0), await store.saveDigest(digest, 0), await store.saveDigest(digest, 0)];

  // Assess
  expect(saved).toEqual([true, false, true, false]);
  expect(await store.window('C0PROD')).toEqual({ ...window, version: 1 });
  expect(await store.digest('C0PROD', digest.id)).toEqual({ ...digest, version: 1 });
  expect(await store.window('C0OTHER')).toBeUndefined();
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { PK: { S: 'STORM#C0PROD' }, SK: { S: `DIGEST#${digest.id}` } } }));
  expect(Item?.version?.N).toBe('1');
});

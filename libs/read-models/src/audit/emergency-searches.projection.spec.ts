import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandContext, EventSourcedRunner, PhiCodec, PipelinedAppender } from '@medrec/application';
import { SqliteKeyStore } from '@medrec/crypto';
import {
  EMERGENCY_SEARCH_REVIEW_PHI_FIELDS,
  emergencySearchReviewDecider,
  emergencySearchReviewStream,
  PatientDataQueried,
  PurposeOfUse,
  QUERY_AUDIT_PHI_FIELDS,
  queryAuditStream,
} from '@medrec/domain';
import { actors } from '@medrec/domain/testing';
import { SqliteEventStore } from '@medrec/event-store';
import { ProjectionRunner } from '../projection-runner';
import { emergencySearch, emergencySearchesProjection, unreviewedEmergencySearches } from './emergency-searches.projection';

const AT = '2024-03-09T10:00:00.000Z';
const DAY = '2024-03-09';
const auditor = { userId: 'u-9', username: 'aud.itor', role: 'auditor' as const };

describe('emergency-searches projection: emergency searches awaiting review', () => {
  let dir: string;
  let keys: SqliteKeyStore;
  let store: SqliteEventStore;
  let codec: PhiCodec;
  let appender: PipelinedAppender;
  let projections: ProjectionRunner;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medrec-btg-search-'));
    keys = new SqliteKeyStore({ file: join(dir, 'keys.db'), masterKey: randomBytes(32) });
    store = new SqliteEventStore({ filename: ':memory:' });
    codec = new PhiCodec(keys, { ...QUERY_AUDIT_PHI_FIELDS, ...EMERGENCY_SEARCH_REVIEW_PHI_FIELDS });
    appender = new PipelinedAppender(store);
    projections = new ProjectionRunner(store, codec, [emergencySearchesProjection], { filename: ':memory:' });
    await keys.create(queryAuditStream(AT));
  });

  afterEach(async () => {
    projections.close();
    await store.close();
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const context = (actor: CommandContext['actor'], purpose?: PurposeOfUse): CommandContext => ({
    actor,
    correlationId: 'corr',
    at: AT,
    ...(purpose ? { purpose } : {}),
  });

  /** As the API audits a search: its PHI sealed with the day's key, appended to the day's stream. */
  async function searched(queryId: string, purpose: PurposeOfUse, phi: { text?: string; justification?: string }): Promise<void> {
    const event: PatientDataQueried = {
      type: 'PatientDataQueried',
      data: { queryId, kind: 'search', actor: actors.clinician.username, role: 'clinician', purpose, at: AT, filters: { limit: 20 }, resultCount: 3, ...phi },
    };
    const stream = queryAuditStream(AT);
    await appender.append(stream, [{ type: event.type, data: await codec.encode(stream, event) }], context(actors.clinician, purpose));
  }

  it('lists emergency searches only, their text and justification decrypted, until reviewed', async () => {
    await searched('q-1', 'treatment', { text: 'hemoglobin' });
    await searched('q-2', 'emergency', { text: 'penicillin allergy', justification: 'Anaphylaxis in the ED' });
    await searched('q-3', 'emergency', { justification: 'Unconscious, identity unknown' });
    await projections.drain();

    expect(unreviewedEmergencySearches(projections.db, 100)).toEqual([
      expect.objectContaining({
        queryId: 'q-2',
        day: DAY,
        actor: actors.clinician.username,
        text: 'penicillin allergy',
        justification: 'Anaphylaxis in the ED',
        resultCount: 3,
        reviewedAt: null,
      }),
      expect.objectContaining({ queryId: 'q-3', text: null, justification: 'Unconscious, identity unknown' }),
    ]);
    expect(emergencySearch(projections.db, 'q-1')).toBeUndefined();

    const runner = new EventSourcedRunner(store, codec);
    await runner.run({
      stream: emergencySearchReviewStream(DAY),
      keyId: queryAuditStream(AT),
      decider: emergencySearchReviewDecider,
      command: {
        type: 'ReviewEmergencySearch',
        queryId: 'q-2',
        day: DAY,
        searchedBy: actors.clinician.username,
        note: 'Justified',
        actor: auditor,
        at: '2024-03-10T00:00:00.000Z',
      },
      context: context(auditor),
    });
    await projections.drain();
    expect(unreviewedEmergencySearches(projections.db, 100).map((s) => s.queryId)).toEqual(['q-3']);
    expect(emergencySearch(projections.db, 'q-2')).toMatchObject({ reviewedBy: 'aud.itor', reviewedAt: '2024-03-10T00:00:00.000Z' });
  });

  it("keeps a search whose day's key is gone, without its PHI", async () => {
    await searched('q-4', 'emergency', { text: 'overdose', justification: 'Found unresponsive' });
    await keys.destroy(queryAuditStream(AT));
    await projections.drain();
    expect(emergencySearch(projections.db, 'q-4')).toMatchObject({ queryId: 'q-4', text: null, justification: null, actor: actors.clinician.username });
  });
});

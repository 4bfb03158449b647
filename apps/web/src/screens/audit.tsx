import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useAfter } from '../api/after';
import { api, expectOk } from '../api/client';
import type { EmergencyAccess as EmergencyAccessView } from '../api/types';
import { useSession } from '../session/session';
import { ErrorMessage } from '../ui/error-message';
import { useFocusOnMount } from '../ui/focus';
import { formatDate } from '../ui/labels';
import { ScreenTitle } from '../ui/screen-title';
import { AccessLog } from './access-log';
import { QueryAudit } from './query-audit';

/** `GET /api/audit/emergency-access`: emergency reads not yet reviewed, oldest first. */
type EmergencyAccess = EmergencyAccessView;

/** The auditor's screen: break-the-glass reads to review, the day's searches and reports, and a record's access log and history report. */
export function AuditScreen() {
  const { can } = useSession();
  return (
    <section aria-labelledby="audit-title">
      <ScreenTitle id="audit-title">Audit</ScreenTitle>
      {can('audit.emergency-access.list') && <EmergencyAccesses />}
      {can('audit.queries.list') && <QueryAudit />}
      {(can('records.accesses') || can('records.history.report')) && <RecordAccessLog />}
    </section>
  );
}

function EmergencyAccesses() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const written = useAfter();
  const [reviewing, setReviewing] = useState<EmergencyAccess | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['emergency-access', written.after],
    queryFn: () => expectOk(api.GET('/api/audit/emergency-access', { params: { query: written.query } })),
    placeholderData: written.placeholderData,
  });
  const accesses = list.data?.accesses ?? [];
  return (
    <section aria-labelledby="emergency-title" className="queue">
      <h2 id="emergency-title">Emergency accesses to review</h2>
      <p className="help">Every read declared as an emergency (break the glass) stays here until an auditor reviews it.</p>
      <ErrorMessage error={list.error} />
      {done && <p role="status">{done}</p>}
      {list.isPending && <p>Loading the emergency accesses…</p>}
      {list.data && accesses.length === 0 && <p>No emergency access is waiting for review.</p>}
      {accesses.length > 0 && (
        <table aria-labelledby="emergency-title">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Record</th>
              <th scope="col">What was read</th>
              <th scope="col">Justification</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {accesses.map((a) => (
              <tr key={a.accessId} aria-current={reviewing?.accessId === a.accessId ? 'true' : undefined}>
                <td className="nowrap">{formatDate(a.at)}</td>
                <td>
                  {a.actor}
                  {a.role ? ` (${a.role})` : ''}
                </td>
                <td>
                  <Link to={`/records/${a.recordId}`}>
                    <code>{a.recordId}</code>
                  </Link>
                </td>
                <td>
                  {a.what ?? '—'}
                  {a.version ? `, version ${a.version}` : ''}
                </td>
                <td>{a.justification ?? '—'}</td>
                <td className="actions">
                  {can('audit.emergency-access.review') && (
                    <button
                      type="button"
                      onClick={() => {
                        setDone(null);
                        setReviewing(a);
                      }}
                    >
                      Review…
                      <span className="visually-hidden">
                        {' '}
                        the emergency access by {a.actor} at {formatDate(a.at)}
                      </span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {reviewing && (
        <ReviewForm
          key={reviewing.accessId}
          access={reviewing}
          onCancel={() => setReviewing(null)}
          onDone={(position) => {
            setDone(`The emergency access by ${reviewing.actor} is reviewed; it leaves the list.`);
            setReviewing(null);
            written.reached(position);
            void queryClient.invalidateQueries({ queryKey: ['emergency-access'] });
          }}
        />
      )}
    </section>
  );
}

function ReviewForm(props: { access: EmergencyAccess; onDone: (position: number | null) => void; onCancel: () => void }) {
  const [note, setNote] = useState('');
  const field = useFocusOnMount<HTMLTextAreaElement>();
  const review = useMutation({
    mutationFn: () =>
      expectOk(
        api.POST('/api/audit/emergency-access/{accessId}/review', { params: { path: { accessId: props.access.accessId } }, body: { note: note.trim() } }),
      ),
    onSuccess: (answer) => props.onDone(answer.position),
  });
  return (
    <form
      className="card"
      aria-labelledby="review-title"
      onSubmit={(e) => {
        e.preventDefault();
        review.mutate();
      }}
    >
      <h3 id="review-title">
        Review the emergency access by {props.access.actor} at {formatDate(props.access.at)}
      </h3>
      <p>Justification given: {props.access.justification ?? '—'}</p>
      <label htmlFor="review-note">Review note</label>
      <textarea
        id="review-note"
        ref={field}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        required
        maxLength={2000}
        rows={3}
        aria-describedby="review-note-help"
      />
      <p id="review-note-help" className="help">
        Your finding, kept with the record&apos;s audit trail under your name.
      </p>
      <ErrorMessage error={review.error} />
      <div className="toolbar">
        <button type="submit" disabled={review.isPending}>
          Record the review
        </button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RecordAccessLog() {
  const [draft, setDraft] = useState('');
  const [recordId, setRecordId] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    setRecordId(draft.trim());
  }

  return (
    <section aria-labelledby="access-log-title">
      <h2 id="access-log-title">A record&apos;s access log</h2>
      <form onSubmit={submit} className="inline-form" aria-label="Show a record's access log">
        <label htmlFor="access-record">Record id</label>
        <input id="access-record" value={draft} onChange={(e) => setDraft(e.target.value)} required autoComplete="off" size={38} />
        <button type="submit">Show accesses</button>
      </form>
      {recordId && <AccessLog key={recordId} recordId={recordId} />}
    </section>
  );
}

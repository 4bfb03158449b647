import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useAfter } from '../api/after';
import { api, expectOk } from '../api/client';
import type { EmergencyAccess, EmergencySearch } from '../api/types';
import { useSession } from '../session/session';
import { ErrorMessage } from '../ui/error-message';
import { useFocusOnMount } from '../ui/focus';
import { formatDate } from '../ui/labels';
import { ScreenTitle } from '../ui/screen-title';
import { AccessLog } from './access-log';
import { QueryAudit } from './query-audit';

/** The auditor's screen: break-the-glass reads and searches to review, the day's searches and reports, and a record's access log and history report. */
export function AuditScreen() {
  const { can } = useSession();
  return (
    <section aria-labelledby="audit-title">
      <ScreenTitle id="audit-title">Audit</ScreenTitle>
      {can('audit.emergency-access.list') && <EmergencyAccesses />}
      {can('audit.emergency-searches.list') && <EmergencySearches />}
      {can('audit.queries.list') && <QueryAudit />}
      {(can('records.accesses') || can('records.history.report')) && <RecordAccessLog />}
    </section>
  );
}

/** `GET /api/audit/emergency-access`: emergency reads of a record not yet reviewed, oldest first. */
function EmergencyAccesses() {
  const { can } = useSession();
  return (
    <BreakTheGlassQueue<EmergencyAccess>
      id="emergency"
      what="access"
      title="Emergency accesses to review"
      help="Every read declared as an emergency (break the glass) stays here until an auditor reviews it."
      queryKey="emergency-access"
      load={async (query) => (await expectOk(api.GET('/api/audit/emergency-access', { params: { query } }))).accesses}
      keyOf={(a) => a.accessId}
      columns={['Record', 'What was read']}
      cells={(a) => (
        <>
          <td>
            <Link to={`/records/${a.recordId}`}>
              <code>{a.recordId}</code>
            </Link>
          </td>
          <td>
            {a.what ?? '—'}
            {a.version ? `, version ${a.version}` : ''}
          </td>
        </>
      )}
      mayReview={can('audit.emergency-access.review')}
      review={(a, note) => expectOk(api.POST('/api/audit/emergency-access/{accessId}/review', { params: { path: { accessId: a.accessId } }, body: { note } }))}
    />
  );
}

/** `GET /api/audit/emergency-searches`: emergency searches not yet reviewed, oldest first. */
function EmergencySearches() {
  const { can } = useSession();
  return (
    <BreakTheGlassQueue<EmergencySearch>
      id="emergency-searches"
      what="search"
      title="Emergency searches to review"
      help="Every search declared as an emergency (break the glass) stays here until an auditor reviews it."
      queryKey="emergency-searches"
      load={async (query) => (await expectOk(api.GET('/api/audit/emergency-searches', { params: { query } }))).searches}
      keyOf={(s) => s.queryId}
      columns={['What was searched', 'Results']}
      cells={(s) => (
        <>
          <td>
            {s.text !== null ? <>&ldquo;{s.text}&rdquo;</> : 'filters only'}
            {s.mrn !== null && <> (MRN {s.mrn})</>}
          </td>
          <td>{s.resultCount}</td>
        </>
      )}
      mayReview={can('audit.emergency-searches.review')}
      review={(s, note) => expectOk(api.POST('/api/audit/emergency-searches/{queryId}/review', { params: { path: { queryId: s.queryId } }, body: { note } }))}
    />
  );
}

/** What every break-the-glass entry shows: who, when, and why they said they needed it. */
interface BreakTheGlass {
  actor: string;
  role: string;
  at: string;
  justification: string | null;
}

/** A list of break-the-glass entries (reads or searches), each reviewed once by an auditor and then gone from it. */
function BreakTheGlassQueue<T extends BreakTheGlass>(props: {
  id: string;
  what: 'access' | 'search';
  title: string;
  help: string;
  queryKey: string;
  load: (query: ReturnType<typeof useAfter>['query']) => Promise<T[]>;
  keyOf: (entry: T) => string;
  columns: readonly string[];
  cells: (entry: T) => ReactNode;
  mayReview: boolean;
  review: (entry: T, note: string) => Promise<{ position: number | null }>;
}) {
  const queryClient = useQueryClient();
  const written = useAfter();
  const [reviewing, setReviewing] = useState<T | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const list = useQuery({
    queryKey: [props.queryKey, written.after],
    queryFn: () => props.load(written.query),
    placeholderData: written.placeholderData,
  });
  const entries = list.data ?? [];
  const titleId = `${props.id}-title`;
  const plural = props.what === 'access' ? 'accesses' : 'searches';
  return (
    <section aria-labelledby={titleId} className="queue">
      <h2 id={titleId}>{props.title}</h2>
      <p className="help">{props.help}</p>
      <ErrorMessage error={list.error} />
      {done && <p role="status">{done}</p>}
      {list.isPending && <p>Loading the emergency {plural}…</p>}
      {list.data && entries.length === 0 && <p>No emergency {props.what} is waiting for review.</p>}
      {entries.length > 0 && (
        <table aria-labelledby={titleId}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              {props.columns.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
              <th scope="col">Justification</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={props.keyOf(e)} aria-current={reviewing && props.keyOf(reviewing) === props.keyOf(e) ? 'true' : undefined}>
                <td className="nowrap">{formatDate(e.at)}</td>
                <td>
                  {e.actor}
                  {e.role ? ` (${e.role})` : ''}
                </td>
                {props.cells(e)}
                <td>{e.justification ?? '—'}</td>
                <td className="actions">
                  {props.mayReview && (
                    <button
                      type="button"
                      onClick={() => {
                        setDone(null);
                        setReviewing(e);
                      }}
                    >
                      Review…
                      <span className="visually-hidden">
                        {' '}
                        the emergency {props.what} by {e.actor} at {formatDate(e.at)}
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
          key={props.keyOf(reviewing)}
          heading={`Review the emergency ${props.what} by ${reviewing.actor} at ${formatDate(reviewing.at)}`}
          justification={reviewing.justification}
          review={(note) => props.review(reviewing, note)}
          onCancel={() => setReviewing(null)}
          onDone={(position) => {
            setDone(`The emergency ${props.what} by ${reviewing.actor} is reviewed; it leaves the list.`);
            setReviewing(null);
            written.reached(position);
            void queryClient.invalidateQueries({ queryKey: [props.queryKey] });
          }}
        />
      )}
    </section>
  );
}

/** The review of one emergency read or search: the auditor's note, recorded under their name. */
function ReviewForm(props: {
  heading: string;
  justification: string | null;
  review: (note: string) => Promise<{ position: number | null }>;
  onDone: (position: number | null) => void;
  onCancel: () => void;
}) {
  const [note, setNote] = useState('');
  const field = useFocusOnMount<HTMLTextAreaElement>();
  const review = useMutation({
    mutationFn: () => props.review(note.trim()),
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
      <h3 id="review-title">{props.heading}</h3>
      <p>Justification given: {props.justification ?? '—'}</p>
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
        Your finding, kept with the audit trail under your name.
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

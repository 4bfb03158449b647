import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, expectOk } from '../api/client';
import type { AuditedQuery } from '../api/types';
import { ErrorMessage } from '../ui/error-message';
import { formatDate, PURPOSES } from '../ui/labels';

const KINDS: Record<string, string> = { search: 'Search', disclosures: 'Disclosures report', 'query-audit': 'This list (query audit)' };

interface Shown {
  date: string;
  purpose: string;
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * `GET /api/audit/queries`: a day's searches and reports over patients' data, who asked what and
 * why. Asked for on purpose only (a button, not on opening the screen): each reading shows PHI and
 * is itself audited.
 */
export function QueryAudit() {
  const [date, setDate] = useState(today);
  const [purpose, setPurpose] = useState('');
  const [shown, setShown] = useState<Shown | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    setShown({ date, purpose });
  }

  return (
    <section aria-labelledby="query-audit-title">
      <h2 id="query-audit-title">Searches and reports</h2>
      <p className="help">Who searched or reported over patients&apos; data on a day (UTC), with what and why. Showing them is itself audited.</p>
      <form onSubmit={submit} className="inline-form" aria-label="Show a day's searches and reports">
        <label htmlFor="query-audit-date">Day</label>
        <input id="query-audit-date" type="date" value={date} onChange={(e) => setDate(e.target.value)} required />
        <label htmlFor="query-audit-purpose">Purpose</label>
        <select id="query-audit-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)}>
          <option value="">Any</option>
          {Object.entries(PURPOSES).map(([code, label]) => (
            <option key={code} value={code}>
              {label}
            </option>
          ))}
        </select>
        <button type="submit">Show queries</button>
      </form>
      {shown && <QueryAuditTable key={`${shown.date}/${shown.purpose}`} shown={shown} />}
    </section>
  );
}

function QueryAuditTable({ shown }: { shown: Shown }) {
  const queries = useInfiniteQuery({
    // Each reading is audited: never refetched behind the auditor's back.
    queryKey: ['query-audit', shown.date, shown.purpose],
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      expectOk(
        api.GET('/api/audit/queries', {
          params: {
            query: { date: shown.date, limit: 100, ...(shown.purpose ? { purpose: shown.purpose } : {}), ...(pageParam ? { cursor: pageParam } : {}) } as never,
          },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows: AuditedQuery[] = queries.data?.pages.flatMap((p) => p.queries) ?? [];
  return (
    <>
      <ErrorMessage error={queries.error} />
      {queries.isFetching && !queries.isFetchingNextPage && <p>Loading the queries…</p>}
      {queries.data && rows.length === 0 && !queries.hasNextPage && <p>No query matches on {shown.date}.</p>}
      {rows.length > 0 && (
        <table aria-label={`Searches and reports on ${shown.date}`}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Purpose</th>
              <th scope="col">What</th>
              <th scope="col">Results</th>
              <th scope="col">Justification</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((q) => (
              <tr key={q.queryId} className={q.purpose === 'emergency' ? 'emergency' : undefined}>
                <td className="nowrap">{formatDate(q.at)}</td>
                <td>
                  {q.actor} ({q.role})
                </td>
                <td>{PURPOSES[q.purpose] ?? q.purpose}</td>
                <td>
                  {KINDS[q.kind] ?? q.kind}
                  {q.text !== null && <>: &ldquo;{q.text}&rdquo;</>}
                  {q.mrn !== null && <> (MRN {q.mrn})</>}
                </td>
                <td>{q.resultCount}</td>
                <td>{q.justification ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {queries.hasNextPage && (
        <button type="button" onClick={() => void queries.fetchNextPage()} disabled={queries.isFetchingNextPage}>
          More queries
        </button>
      )}
    </>
  );
}

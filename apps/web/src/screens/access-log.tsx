import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { api, expectOk, fetchBlob, purposeHeader } from '../api/client';
import { useSession } from '../session/session';
import { SavedLink, useDownload } from '../ui/download';
import { ErrorMessage } from '../ui/error-message';
import { formatDate, PURPOSES } from '../ui/labels';

/** A record's access log (auditor, legal) and its history report as PDF (legal, him, auditor): on the Audit screen and the record's own. */
export function AccessLog({ recordId, headingLevel = 3 }: { recordId: string; headingLevel?: 2 | 3 }) {
  const { can } = useSession();
  const download = useDownload();
  const Heading = headingLevel === 2 ? 'h2' : 'h3';

  const accesses = useInfiniteQuery({
    queryKey: ['accesses', recordId],
    enabled: can('records.accesses'),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      expectOk(
        api.GET('/api/records/{id}/accesses', {
          params: { path: { id: recordId }, header: purposeHeader(), query: { limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } as never },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  const report = useMutation({
    mutationFn: (id: string) => fetchBlob(`/api/records/${id}/history/report`, 'application/pdf'),
    onSuccess: (blob, id) => download.save(id, blob, `history-report-${id}.pdf`),
  });

  const rows = accesses.data?.pages.flatMap((p) => p.accesses) ?? [];
  return (
    <section aria-label="Access log and history report">
      {can('records.history.report') && (
        <div className="toolbar">
          <button type="button" className="secondary" onClick={() => report.mutate(recordId)} disabled={report.isPending}>
            Download the history report (PDF)
          </button>
          <SavedLink saved={download.saved[recordId]} />
        </div>
      )}
      <ErrorMessage error={report.error} />
      {can('records.accesses') && <Heading>Access log</Heading>}
      <ErrorMessage error={accesses.error} />
      {accesses.isFetching && !accesses.isFetchingNextPage && <p>Loading the accesses…</p>}
      {rows.length > 0 && (
        <table aria-label={`Accesses to the record ${recordId}`}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Purpose</th>
              <th scope="col">What</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <tr key={a.accessId} className={a.purpose === 'emergency' ? 'emergency' : undefined}>
                <td className="nowrap">{formatDate(a.at)}</td>
                <td>
                  {a.actor} ({a.role})
                </td>
                <td>{a.purpose ? (PURPOSES[a.purpose] ?? a.purpose) : '—'}</td>
                <td>{a.what}</td>
                <td>{a.version ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {accesses.hasNextPage && (
        <button type="button" onClick={() => void accesses.fetchNextPage()} disabled={accesses.isFetchingNextPage}>
          More accesses
        </button>
      )}
    </section>
  );
}

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useLocation, useParams, useSearchParams } from 'react-router';
import { api, expectOk, purposeHeader } from '../api/client';
import { ApiError } from '../api/problem';
import type { RecordView, VersionView } from '../api/types';
import { useSession } from '../session/session';
import { ScreenTitle } from '../ui/screen-title';
import { ErrorMessage } from '../ui/error-message';
import { documentTypeLabel, formatDate } from '../ui/labels';
import { PageViewer } from '../ui/page-viewer';
import { markedWords } from '../ui/snippet';
import { AccessLog } from './access-log';
import { RecordActions } from './record-actions';

export function RecordScreen() {
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const { can } = useSession();
  const record = useQuery({
    queryKey: ['record', id],
    queryFn: () => expectOk(api.GET('/api/records/{id}', { params: { path: { id }, header: purposeHeader() } })),
  });
  useLiveOcrStatus(id, record.data);

  if (record.error instanceof ApiError && record.error.status === 410) return <Tombstone problem={record.error.problem} />;
  if (record.error) {
    return (
      <section>
        <ScreenTitle>Record not available</ScreenTitle>
        <ErrorMessage error={record.error} />
      </section>
    );
  }
  if (!record.data) return <p role="status">Loading the record…</p>;

  const r = record.data;
  const version = Number(params.get('version')) || r.currentVersion;
  const page = Number(params.get('page')) || 1;
  const snippet = (location.state as { snippet?: unknown } | null)?.snippet;
  const highlight = [
    ...(typeof snippet === 'string' ? markedWords(snippet) : []),
    ...(params.get('q') ?? '').split(/\s+/).filter((w) => /^[\p{L}\p{N}]{2,}$/u.test(w)),
  ];
  const current = r.versions.find((v) => v.version === version) ?? r.versions[r.versions.length - 1];
  const show = (next: { version?: number; page?: number }) => {
    const p = new URLSearchParams(params);
    if (next.version !== undefined) p.set('version', String(next.version));
    if (next.page !== undefined) p.set('page', String(next.page));
    setParams(p, { replace: true, state: location.state as unknown });
  };

  return (
    <article className="record" aria-labelledby="record-title">
      <ScreenTitle id="record-title">{r.title}</ScreenTitle>
      <dl className="facts">
        <Fact term="Patient" value={r.patientName} />
        <Fact term="MRN" value={r.mrn} />
        <Fact term="Date of birth" value={r.dateOfBirth} />
        <Fact term="Document type" value={documentTypeLabel(r.documentType)} />
        <Fact term="Encounter date" value={formatDate(r.encounterDate)} />
        <Fact term="Status" value={r.status} />
        {r.holds.length > 0 && <Fact term="Legal holds" value={r.holds.map((h) => h.matter).join('; ')} />}
      </dl>
      {can('records.content') && (
        <PageViewer recordId={r.id} version={current} page={Math.min(page, current.pages ?? 1)} onPage={(p) => show({ page: p })} highlight={highlight} />
      )}
      <Versions record={r} selected={current.version} onSelect={(v) => show({ version: v, page: 1 })} />
      {can('records.text') && <TextSection recordId={r.id} version={current} />}
      {can('records.diff') && r.versions.length > 1 && <DiffSection record={r} />}
      {can('records.history') && <HistorySection recordId={r.id} />}
      {(can('records.accesses') || can('records.history.report')) && <AccessLog recordId={r.id} />}
      <RecordActions record={r} />
    </article>
  );
}

/**
 * While a version's text is being recognised, follow it through the status endpoint (no patient
 * data, not audited) and read the record again only when something changed: polling the record
 * itself would log an access every few seconds.
 */
function useLiveOcrStatus(id: string, record: RecordView | undefined) {
  const queryClient = useQueryClient();
  const pending = record?.versions.some((v) => v.ocr.status === 'pending') ?? false;
  const status = useQuery({
    queryKey: ['status', id],
    enabled: pending,
    refetchInterval: 2000,
    queryFn: () => expectOk(api.GET('/api/records/{id}/status', { params: { path: { id } } })),
  });
  useEffect(() => {
    if (!status.data || !record) return;
    const changed =
      status.data.versions.length !== record.versions.length ||
      status.data.versions.some((v) => record.versions.find((r) => r.version === v.version)?.ocr.status !== v.ocr.status);
    if (changed) void queryClient.invalidateQueries({ queryKey: ['record', id] });
  }, [status.data, record, id, queryClient]);
}

function Fact({ term, value }: { term: string; value: string }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function Tombstone({ problem }: { problem: { detail?: string; destroyedAt?: unknown; authority?: unknown } }) {
  return (
    <section>
      <ScreenTitle>This record was destroyed</ScreenTitle>
      <p role="alert">{problem.detail ?? 'The record was destroyed.'}</p>
      <dl className="facts">
        {typeof problem.destroyedAt === 'string' && <Fact term="Destroyed" value={formatDate(problem.destroyedAt)} />}
        {typeof problem.authority === 'string' && <Fact term="Authority" value={problem.authority} />}
      </dl>
    </section>
  );
}

function ocrStatus(v: VersionView): string {
  if (v.ocr.status === 'done') return `OCR done${v.ocr.meanConfidence !== undefined ? ` (confidence ${Math.round(v.ocr.meanConfidence)}%)` : ''}`;
  if (v.ocr.status === 'failed') return 'OCR failed';
  return 'OCR pending';
}

function Versions({ record, selected, onSelect }: { record: RecordView; selected: number; onSelect: (v: number) => void }) {
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <table>
        <caption className="visually-hidden">Versions of this record, oldest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Kind</th>
            <th scope="col">Reason</th>
            <th scope="col">By</th>
            <th scope="col">When</th>
            <th scope="col">Pages</th>
            <th scope="col">Text</th>
            <th scope="col">
              <span className="visually-hidden">Show</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {record.versions.map((v) => (
            <tr key={v.version} aria-current={v.version === selected ? 'true' : undefined}>
              <td>{v.version}</td>
              <td>{v.kind}</td>
              <td>{v.reason ?? '—'}</td>
              <td>{v.createdBy}</td>
              <td>{formatDate(v.createdAt)}</td>
              <td>{v.pages ?? '—'}</td>
              <td>{ocrStatus(v)}</td>
              <td>
                {v.version === selected ? (
                  'Shown'
                ) : (
                  <button type="button" className="link" onClick={() => onSelect(v.version)}>
                    Show version {v.version}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function TextSection({ recordId, version }: { recordId: string; version: VersionView }) {
  const text = useQuery({
    queryKey: ['text', recordId, version.version],
    enabled: version.ocr.status === 'done',
    queryFn: () =>
      expectOk(
        api.GET('/api/records/{id}/versions/{v}/text', { params: { path: { id: recordId, v: String(version.version) as never }, header: purposeHeader() } }),
      ),
  });
  return (
    <section aria-labelledby="text-title">
      <h2 id="text-title">Text</h2>
      {version.ocr.status !== 'done' && <p>{ocrStatus(version)}: the recognised text shows here once it is done.</p>}
      <ErrorMessage error={text.error} />
      {text.data?.pages.map((p) => (
        <div key={p.page} className="page-text">
          <h3>Page {p.page}</h3>
          <pre>{p.text}</pre>
        </div>
      ))}
    </section>
  );
}

function DiffSection({ record }: { record: RecordView }) {
  const last = record.currentVersion;
  const [from, setFrom] = useState(Math.max(1, last - 1));
  const [to, setTo] = useState(last);
  const [asked, setAsked] = useState<[number, number] | null>(null);
  const diff = useQuery({
    queryKey: ['diff', record.id, asked],
    enabled: asked !== null,
    queryFn: () =>
      expectOk(
        api.GET('/api/records/{id}/versions/{a}/diff/{b}', {
          params: { path: { id: record.id, a: String(asked![0]) as never, b: String(asked![1]) as never }, header: purposeHeader() },
        }),
      ),
  });
  const options = record.versions.map((v) => (
    <option key={v.version} value={v.version}>
      Version {v.version}
    </option>
  ));
  return (
    <section aria-labelledby="diff-title">
      <h2 id="diff-title">Compare versions</h2>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked([from, to]);
        }}
      >
        <label htmlFor="diff-from">From version</label>
        <select id="diff-from" value={from} onChange={(e) => setFrom(Number(e.target.value))}>
          {options}
        </select>
        <label htmlFor="diff-to">To version</label>
        <select id="diff-to" value={to} onChange={(e) => setTo(Number(e.target.value))}>
          {options}
        </select>
        <button type="submit">Compare</button>
      </form>
      <ErrorMessage error={diff.error} />
      {diff.data && (
        <p className="diff" aria-label={`Changes from version ${asked![0]} to version ${asked![1]}`}>
          {diff.data.hunks.map((h, i) =>
            h.op === 'insert' ? <ins key={i}>{h.text}</ins> : h.op === 'delete' ? <del key={i}>{h.text}</del> : <span key={i}>{h.text}</span>,
          )}
        </p>
      )}
    </section>
  );
}

function HistorySection({ recordId }: { recordId: string }) {
  const history = useQuery({
    queryKey: ['history', recordId],
    queryFn: () => expectOk(api.GET('/api/records/{id}/history', { params: { path: { id: recordId }, header: purposeHeader() } })),
  });
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <ErrorMessage error={history.error} />
      {history.data && (
        <ol className="timeline">
          {history.data.timeline.map((e, i) => (
            <li key={i}>
              <time dateTime={e.at}>{formatDate(e.at)}</time> <span className="actor">{e.actor}</span> {e.summary}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

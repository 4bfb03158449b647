import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useAfter } from '../api/after';
import type { DisposalExclusion, DisposalProposal } from '../api/types';
import { api, expectOk, fetchBlob } from '../api/client';
import { useSession } from '../session/session';
import { Confirm } from '../ui/confirm';
import { DocumentTypeSelect } from '../ui/document-type-select';
import { ErrorMessage } from '../ui/error-message';
import { documentTypeLabel, formatDate } from '../ui/labels';
import { ScreenTitle } from '../ui/screen-title';

type Exclusion = DisposalExclusion;

type Proposal = DisposalProposal;

const today = () => new Date().toISOString().slice(0, 10);

const REASONS: Record<string, string> = {
  held: 'under legal hold',
  'not-yet-due': 'not yet due',
  'already-destroyed': 'already destroyed',
  unknown: 'no such record',
  'other-document-type': 'another document type',
};

function exclusionText(e: Exclusion): string {
  const why = REASONS[e.reason] ?? e.reason;
  if (e.reason === 'held' && e.matter) return `${why} (${e.matter})`;
  if (e.reason === 'not-yet-due' && e.retentionUntil) return `${why} (until ${e.retentionUntil})`;
  return why;
}

/** Archivists: what is due, a dry run, a proposal, a second person's approval, execution with progress, certificates. */
export function DisposalScreen() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const selected = params.get('batch');
  // The batch list is a read model: after a write on this screen it is read `?after=` the write.
  const after = useAfter();
  return (
    <section aria-labelledby="disposal-title">
      <ScreenTitle id="disposal-title">Disposal</ScreenTitle>
      {can('retention.due') && <DueList />}
      {can('disposal.propose') && (
        <ProposeBatch
          onProposed={(id, position) => {
            after.reached(position);
            setParams({ batch: id });
          }}
        />
      )}
      <Batches selected={selected} onSelect={(id) => setParams({ batch: id })} after={after.query} />
      {selected && <BatchDetail key={selected} id={selected} onWrite={after.reached} />}
      {can('disposal.certificates.list') && <Certificates />}
    </section>
  );
}

function DueList() {
  const [asOf, setAsOf] = useState(today());
  const [documentType, setDocumentType] = useState('');
  const [asked, setAsked] = useState<{ asOf: string; documentType: string } | null>(null);
  const due = useQuery({
    queryKey: ['due', asked],
    enabled: asked !== null,
    queryFn: () =>
      expectOk(
        api.GET('/api/retention/due', {
          params: { query: { asOf: asked!.asOf, limit: 500, ...(asked!.documentType ? { documentType: asked!.documentType } : {}) } as never },
        }),
      ),
  });
  return (
    <section aria-labelledby="due-title" className="card">
      <h2 id="due-title">Records due</h2>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ asOf, documentType });
        }}
      >
        <label htmlFor="due-as-of">Due as of</label>
        <input id="due-as-of" type="date" value={asOf} onChange={(e) => setAsOf(e.target.value)} required />
        <DocumentTypeSelect id="due-type" value={documentType} onChange={setDocumentType} empty="Any" />
        <button type="submit">Show due records</button>
      </form>
      <ErrorMessage error={due.error} />
      {due.data && (
        <>
          <p role="status">
            {due.data.records.length === 0
              ? 'No record is due.'
              : `${due.data.records.length}${due.data.nextCursor ? '+' : ''} records due, ${due.data.records.filter((r) => r.held).length} of them held.`}
          </p>
          {due.data.records.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Record</th>
                  <th scope="col">Document type</th>
                  <th scope="col">Retention until</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Held</th>
                </tr>
              </thead>
              <tbody>
                {due.data.records.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <code>{r.id}</code>
                    </td>
                    <td>{documentTypeLabel(r.documentType)}</td>
                    <td>{r.retentionUntil}</td>
                    <td>{r.rule}</td>
                    <td>{r.held ? 'Held' : 'No'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

function ProposeBatch({ onProposed }: { onProposed: (id: string, position: number | null | undefined) => void }) {
  const queryClient = useQueryClient();
  const [asOf, setAsOf] = useState(today());
  const [authority, setAuthority] = useState('');
  const [documentType, setDocumentType] = useState('');
  const [dryRun, setDryRun] = useState<Proposal | null>(null);
  const [confirming, setConfirming] = useState(false);
  const body = () => ({ asOf, authority: authority.trim(), ...(documentType ? { documentType } : {}) });
  const preview = useMutation({
    mutationFn: () => expectOk(api.POST('/api/disposal/batches', { params: { query: { dryRun: 'true' } }, body: body() as never })),
    onSuccess: setDryRun,
  });
  const propose = useMutation({
    mutationFn: () => expectOk(api.POST('/api/disposal/batches', { body: body() as never })),
    onSuccess: (proposal) => {
      setConfirming(false);
      setDryRun(null);
      void queryClient.invalidateQueries({ queryKey: ['batches'] });
      if (proposal.id) onProposed(proposal.id, proposal.position);
    },
    onError: () => setConfirming(false),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    preview.mutate();
  }

  return (
    <section aria-labelledby="propose-title" className="card">
      <h2 id="propose-title">Propose a batch</h2>
      <form onSubmit={submit}>
        <div className="inline-form">
          <label htmlFor="batch-as-of">Due as of</label>
          <input id="batch-as-of" type="date" value={asOf} onChange={(e) => setAsOf(e.target.value)} required />
          <DocumentTypeSelect id="batch-type" value={documentType} onChange={setDocumentType} empty="Any" />
        </div>
        <label htmlFor="batch-authority">Retention authority</label>
        <input id="batch-authority" value={authority} onChange={(e) => setAuthority(e.target.value)} required maxLength={500} size={60} />
        <ErrorMessage error={preview.error ?? propose.error} />
        <button type="submit">Dry run</button>
      </form>
      {dryRun && (
        <div aria-live="polite">
          <p role="status">
            The batch would destroy {dryRun.included.length} records; {dryRun.excluded.length} are excluded.
          </p>
          {dryRun.excluded.length > 0 && (
            <>
              <h3>Excluded</h3>
              <ul>
                {dryRun.excluded.map((e) => (
                  <li key={e.recordId}>
                    <code>{e.recordId}</code>: {exclusionText(e)}
                  </li>
                ))}
              </ul>
            </>
          )}
          <button type="button" onClick={() => setConfirming(true)} disabled={dryRun.included.length === 0}>
            Propose this batch…
          </button>
        </div>
      )}
      <Confirm
        open={confirming}
        title="Propose this disposal batch?"
        confirmLabel="Propose the batch"
        busy={propose.isPending}
        onConfirm={() => propose.mutate()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          The batch names {dryRun?.included.length ?? 0} records due as of {asOf} under {authority || 'the authority given'}. Nothing is destroyed yet: another
          archivist or HIM must approve it before it can be executed.
        </p>
      </Confirm>
    </section>
  );
}

function Batches({ selected, onSelect, after }: { selected: string | null; onSelect: (id: string) => void; after: { after?: number } }) {
  const batches = useQuery({
    queryKey: ['batches', after],
    queryFn: () => expectOk(api.GET('/api/disposal/batches', { params: { query: after } })),
  });
  return (
    <section aria-labelledby="batches-title">
      <h2 id="batches-title">Batches</h2>
      <ErrorMessage error={batches.error} />
      {batches.data && batches.data.batches.length === 0 && <p>No batch has been proposed.</p>}
      {batches.data && batches.data.batches.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Proposed</th>
              <th scope="col">By</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Open</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {batches.data.batches.map((b) => (
              <tr key={b.id} aria-current={b.id === selected ? 'true' : undefined}>
                <td>{formatDate(b.proposedAt)}</td>
                <td>{b.proposedBy}</td>
                <td>{b.status}</td>
                <td>
                  <button type="button" className="link" onClick={() => onSelect(b.id)}>
                    Open the batch of {formatDate(b.proposedAt)}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function BatchDetail({ id, onWrite }: { id: string; onWrite: (position: number | null | undefined) => void }) {
  const { session, can } = useSession();
  const queryClient = useQueryClient();
  const [executing, setExecuting] = useState(false);
  const [confirm, setConfirm] = useState<null | 'approve' | 'execute'>(null);
  const batch = useQuery({
    queryKey: ['batch', id],
    queryFn: () => expectOk(api.GET('/api/disposal/batches/{id}', { params: { path: { id } } })),
    // While the server executes, the batch shows how far it has got.
    refetchInterval: executing ? 1000 : false,
  });
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: ['batch', id] }), queryClient.invalidateQueries({ queryKey: ['batches'] })]);
  const approve = useMutation({
    mutationFn: () => expectOk(api.POST('/api/disposal/batches/{id}/approve', { params: { path: { id } } })),
    onSuccess: (answer) => onWrite(answer.position),
    onSettled: () => {
      setConfirm(null);
      void refresh();
      void queryClient.invalidateQueries({ queryKey: ['certificates'] });
    },
  });
  const execute = useMutation({
    mutationFn: () => {
      setExecuting(true);
      setConfirm(null);
      return expectOk(api.POST('/api/disposal/batches/{id}/execute', { params: { path: { id } } }));
    },
    onSuccess: (answer) => onWrite(answer.position),
    onSettled: () => {
      setExecuting(false);
      void refresh();
      void queryClient.invalidateQueries({ queryKey: ['certificates'] });
    },
  });

  const b = batch.data;
  if (batch.error) return <ErrorMessage error={batch.error} />;
  if (!b) return <p role="status">Loading the batch…</p>;
  const done = b.destroyed.length + b.skipped.length;
  const mine = b.proposedBy === session?.me.username;
  return (
    <section aria-labelledby="batch-title" className="card">
      <h2 id="batch-title">Batch proposed {formatDate(b.proposedAt)}</h2>
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>{b.status}</dd>
        </div>
        <div>
          <dt>Due as of</dt>
          <dd>{b.asOf}</dd>
        </div>
        <div>
          <dt>Authority</dt>
          <dd>{b.authority}</dd>
        </div>
        <div>
          <dt>Proposed by</dt>
          <dd>{b.proposedBy}</dd>
        </div>
        <div>
          <dt>Approved by</dt>
          <dd>{b.approvedBy ?? 'not yet approved'}</dd>
        </div>
        <div>
          <dt>Records</dt>
          <dd>
            {b.included.length} included, {b.excluded.length} excluded
          </dd>
        </div>
      </dl>
      {(executing || done > 0) && (
        <div>
          <label htmlFor="disposal-progress">Destroyed or skipped</label>{' '}
          <progress id="disposal-progress" max={b.included.length} value={done}>
            {done} of {b.included.length}
          </progress>{' '}
          <span aria-live="polite">
            {done} of {b.included.length}
          </span>
        </div>
      )}
      {b.skipped.length > 0 && (
        <>
          <h3>Skipped at execution</h3>
          <ul>
            {b.skipped.map((s) => (
              <li key={s.recordId}>
                <code>{s.recordId}</code>: {exclusionText(s)}
              </li>
            ))}
          </ul>
        </>
      )}
      <ErrorMessage error={approve.error ?? execute.error} />
      {execute.data && (
        <p role="status">
          {execute.data.destroyed.length} records destroyed, {execute.data.skipped.length} skipped. The certificate of destruction is issued.
        </p>
      )}
      <div className="toolbar">
        {can('disposal.approve') && b.status === 'proposed' && !mine && (
          <button type="button" onClick={() => setConfirm('approve')}>
            Approve…
          </button>
        )}
        {can('disposal.approve') && b.status === 'proposed' && mine && <p>You proposed this batch: someone else must approve it.</p>}
        {can('disposal.execute') && b.status === 'approved' && (
          <button type="button" onClick={() => setConfirm('execute')} disabled={executing}>
            Execute…
          </button>
        )}
        {b.certificateId && <CertificateDownload id={b.certificateId} />}
      </div>
      <Confirm
        open={confirm !== null}
        title={confirm === 'execute' ? 'Destroy these records now?' : 'Approve this disposal batch?'}
        confirmLabel={confirm === 'execute' ? `Destroy ${b.included.length} records` : 'Approve the batch'}
        busy={approve.isPending || execute.isPending}
        onConfirm={() => (confirm === 'execute' ? execute.mutate() : approve.mutate())}
        onCancel={() => setConfirm(null)}
      >
        {confirm === 'execute' ? (
          <p>
            Every version&apos;s content and text of {b.included.length} records is deleted and each record&apos;s key destroyed: they cannot be read or
            reconstructed afterwards. A record placed under legal hold since the approval is skipped. A certificate of destruction is issued.
          </p>
        ) : (
          <p>
            You approve the destruction of {b.included.length} records under {b.authority}, as proposed by {b.proposedBy}. An archivist may then execute it.
          </p>
        )}
      </Confirm>
    </section>
  );
}

function CertificateDownload({ id }: { id: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  if (url) {
    return (
      <a href={url} download={`certificate-${id}.pdf`}>
        Save the certificate (PDF)
      </a>
    );
  }
  return (
    <>
      <button
        type="button"
        className="secondary"
        onClick={() => {
          fetchBlob(`/api/disposal/certificates/${id}`, 'application/pdf')
            .then((blob) => setUrl(URL.createObjectURL(blob)))
            .catch(setError);
        }}
      >
        Prepare the certificate (PDF)
      </button>
      <ErrorMessage error={error} />
    </>
  );
}

function Certificates() {
  const certificates = useQuery({
    queryKey: ['certificates'],
    queryFn: () => expectOk(api.GET('/api/disposal/certificates', {})),
  });
  return (
    <section aria-labelledby="certificates-title">
      <h2 id="certificates-title">Certificates of destruction</h2>
      <ErrorMessage error={certificates.error} />
      {certificates.data && certificates.data.certificates.length === 0 && <p>No certificate has been issued.</p>}
      {certificates.data && certificates.data.certificates.length > 0 && (
        <ul>
          {certificates.data.certificates.map((c) => {
            const id = c.id;
            return (
              <li key={id}>
                {formatDate(c.issuedAt)}: {c.count} records <CertificateDownload id={id} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

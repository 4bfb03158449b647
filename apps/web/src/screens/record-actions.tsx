import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { api, authHeaders, expectOk } from '../api/client';
import { ApiError, problemOf } from '../api/problem';
import type { RecordView } from '../api/types';
import { useSession } from '../session/session';
import { Confirm } from '../ui/confirm';
import { ErrorMessage } from '../ui/error-message';

const KINDS = { correction: 'Correction', addendum: 'Addendum', 'late-entry': 'Late entry', 'patient-requested': "At the patient's request" };

/** What the user's roles may do to this record, each confirmed in words before it is done. */
export function RecordActions({ record }: { record: RecordView }) {
  const { can } = useSession();
  const live = record.status === 'active';
  return (
    <section aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      {can('records.amend') && live && <AmendForm record={record} />}
      {can('records.holds.place') && <HoldForm record={record} />}
      {can('records.archive') && live && <ArchiveForm record={record} />}
      {!can('records.amend') && !can('records.holds.place') && !can('records.archive') && <p>Your roles may read this record but not change it.</p>}
    </section>
  );
}

function useRefresh(recordId: string) {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ predicate: (q) => q.queryKey.includes(recordId) });
}

function AmendForm({ record }: { record: RecordView }) {
  const refresh = useRefresh(record.id);
  const [kind, setKind] = useState('correction');
  const [reason, setReason] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const amend = useMutation({
    mutationFn: async () => {
      const form = new FormData();
      form.append('kind', kind);
      form.append('reason', reason.trim());
      if (file) form.append('file', file, file.name);
      const response = await fetch(`/api/records/${record.id}/amendments`, {
        method: 'POST',
        headers: { ...authHeaders(), 'If-Match': `"${record.revision}"` },
        body: form,
      }).catch(() => {
        throw new ApiError({ status: 0, detail: 'The server could not be reached. Check the connection and try again.' });
      });
      if (!response.ok) throw new ApiError(await problemOf(response));
      return (await response.json()) as { version: number };
    },
    onSuccess: (answer) => {
      setConfirming(false);
      setDone(`Version ${answer.version} added. Version ${record.currentVersion} stays as it was.`);
      setReason('');
      setFile(null);
      if (fileInput.current) fileInput.current.value = '';
      void refresh();
    },
    onError: () => setConfirming(false),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    setConfirming(true);
  }

  return (
    <form onSubmit={submit} className="card" aria-labelledby="amend-title">
      <h3 id="amend-title">Amend</h3>
      <label htmlFor="amend-kind">Kind of amendment</label>
      <select id="amend-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
        {Object.entries(KINDS).map(([code, label]) => (
          <option key={code} value={code}>
            {label}
          </option>
        ))}
      </select>
      <label htmlFor="amend-reason">Reason</label>
      <textarea id="amend-reason" value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={2000} rows={2} />
      <label htmlFor="amend-file">New scan</label>
      <input
        id="amend-file"
        type="file"
        accept=".pdf,.tif,.tiff,.png,.jpg,.jpeg"
        onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        aria-describedby="amend-file-help"
      />
      <p id="amend-file-help" className="help">
        Optional: without a new scan the new version keeps the current pages.
      </p>
      <ErrorMessage error={amend.error} />
      {done && <p role="status">{done}</p>}
      <button type="submit">Amend…</button>
      <Confirm
        open={confirming}
        title={`Add version ${record.currentVersion + 1}?`}
        confirmLabel="Add the new version"
        busy={amend.isPending}
        onConfirm={() => amend.mutate()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          This adds version {record.currentVersion + 1} ({KINDS[kind as keyof typeof KINDS]}){file ? ` with the scan ${file.name}` : ' with the current pages'}.
          Version {record.currentVersion} and every earlier version stay readable and unchanged.
        </p>
      </Confirm>
    </form>
  );
}

function HoldForm({ record }: { record: RecordView }) {
  const refresh = useRefresh(record.id);
  const [matter, setMatter] = useState('');
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState<null | { kind: 'place' } | { kind: 'lift'; holdId: string; matter: string }>(null);
  const change = useMutation({
    mutationFn: async () => {
      if (confirming?.kind === 'lift') {
        await expectOk(api.DELETE('/api/records/{id}/holds/{holdId}', { params: { path: { id: record.id, holdId: confirming.holdId } } }));
      } else {
        await expectOk(api.POST('/api/records/{id}/holds', { params: { path: { id: record.id } }, body: { matter: matter.trim(), reason: reason.trim() } }));
      }
    },
    onSuccess: () => {
      setConfirming(null);
      setMatter('');
      setReason('');
      void refresh();
    },
    onError: () => setConfirming(null),
  });
  return (
    <div className="card">
      <h3>Legal holds</h3>
      {record.holds.length === 0 ? (
        <p>No legal hold stands on this record.</p>
      ) : (
        <ul>
          {record.holds.map((h) => (
            <li key={h.holdId}>
              {h.matter}{' '}
              <button type="button" className="link" onClick={() => setConfirming({ kind: 'lift', holdId: h.holdId, matter: h.matter })}>
                Lift the hold for {h.matter}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setConfirming({ kind: 'place' });
        }}
        aria-label="Place a legal hold"
      >
        <label htmlFor="hold-matter">Matter</label>
        <input id="hold-matter" value={matter} onChange={(e) => setMatter(e.target.value)} required maxLength={300} />
        <label htmlFor="hold-reason">Reason for the hold</label>
        <input id="hold-reason" value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={2000} />
        <ErrorMessage error={change.error} />
        <button type="submit">Place hold…</button>
      </form>
      <Confirm
        open={confirming !== null}
        title={confirming?.kind === 'lift' ? 'Lift this legal hold?' : 'Place a legal hold?'}
        confirmLabel={confirming?.kind === 'lift' ? 'Lift the hold' : 'Place the hold'}
        busy={change.isPending}
        onConfirm={() => change.mutate()}
        onCancel={() => setConfirming(null)}
      >
        <p>
          {confirming?.kind === 'lift'
            ? `The hold for ${confirming.matter} is lifted. If no other hold stands, the record may be destroyed when its retention ends.`
            : `While the hold for ${matter || 'this matter'} stands, the record cannot be destroyed, whatever its retention schedule says.`}
        </p>
      </Confirm>
    </div>
  );
}

function ArchiveForm({ record }: { record: RecordView }) {
  const refresh = useRefresh(record.id);
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const archive = useMutation({
    mutationFn: () => expectOk(api.POST('/api/records/{id}/archive', { params: { path: { id: record.id } }, body: { reason: reason.trim() } })),
    onSuccess: () => {
      setConfirming(false);
      void refresh();
    },
    onError: () => setConfirming(false),
  });
  return (
    <form
      className="card"
      onSubmit={(e) => {
        e.preventDefault();
        setConfirming(true);
      }}
      aria-labelledby="archive-title"
    >
      <h3 id="archive-title">Archive</h3>
      <label htmlFor="archive-reason">Reason for archiving</label>
      <input id="archive-reason" value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={2000} />
      <ErrorMessage error={archive.error} />
      <button type="submit">Archive…</button>
      <Confirm
        open={confirming}
        title="Archive this record?"
        confirmLabel="Archive the record"
        busy={archive.isPending}
        onConfirm={() => archive.mutate()}
        onCancel={() => setConfirming(false)}
      >
        <p>The record becomes read-only: it stays readable, audited as ever, but can no longer be amended.</p>
      </Confirm>
    </form>
  );
}

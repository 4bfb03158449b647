import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { api, authHeaders, expectOk } from '../api/client';
import { ApiError, problemOf } from '../api/problem';
import type { RecordView } from '../api/types';
import { useSession } from '../session/session';
import { Confirm } from '../ui/confirm';
import { ErrorMessage } from '../ui/error-message';

const ACTIONS = ['records.amend', 'records.release', 'records.holds.place', 'records.archive', 'records.destroy.approve', 'records.destroy'];

const KINDS = { correction: 'Correction', addendum: 'Addendum', 'late-entry': 'Late entry', 'patient-requested': "At the patient's request" };

/** What the user's roles may do to this record, each confirmed in words before it is done. */
export function RecordActions({ record }: { record: RecordView }) {
  const { can } = useSession();
  const live = record.status === 'active';
  return (
    <section aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      {can('records.amend') && live && <AmendForm record={record} />}
      {can('records.release') && <ReleaseForm record={record} />}
      {can('records.holds.place') && <HoldForm record={record} />}
      {can('records.archive') && live && <ArchiveForm record={record} />}
      {(can('records.destroy.approve') || can('records.destroy')) && <DestructionForm record={record} />}
      {!ACTIONS.some((a) => can(a)) && <p>Your roles may read this record but not change it.</p>}
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

function ReleaseForm({ record }: { record: RecordView }) {
  const refresh = useRefresh(record.id);
  const [recipient, setRecipient] = useState('');
  const [address, setAddress] = useState('');
  const [purpose, setPurpose] = useState('');
  const [authorization, setAuthorization] = useState('');
  const [description, setDescription] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const release = useMutation({
    mutationFn: () =>
      expectOk(
        api.POST('/api/records/{id}/releases', {
          params: { path: { id: record.id } },
          body: {
            recipient: { name: recipient.trim(), ...(address.trim() ? { address: address.trim() } : {}) },
            purpose: purpose.trim(),
            authorizationReference: authorization.trim(),
            versions: [record.currentVersion],
            description: description.trim(),
          },
        }),
      ),
    onSuccess: () => {
      setConfirming(false);
      setDone(`Version ${record.currentVersion} released to ${recipient.trim()}; the release is in the patient's accounting of disclosures.`);
      void refresh();
    },
    onError: () => setConfirming(false),
  });
  return (
    <form
      className="card"
      aria-labelledby="release-title"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        setConfirming(true);
      }}
    >
      <h3 id="release-title">Release</h3>
      <div className="grid">
        <div>
          <label htmlFor="release-recipient">Recipient</label>
          <input id="release-recipient" value={recipient} onChange={(e) => setRecipient(e.target.value)} required maxLength={200} />
        </div>
        <div>
          <label htmlFor="release-address">Recipient address</label>
          <input id="release-address" value={address} onChange={(e) => setAddress(e.target.value)} maxLength={500} />
        </div>
        <div>
          <label htmlFor="release-purpose">Purpose of the release</label>
          <input id="release-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)} required maxLength={200} />
        </div>
        <div>
          <label htmlFor="release-authorization">Authorization reference</label>
          <input id="release-authorization" value={authorization} onChange={(e) => setAuthorization(e.target.value)} required maxLength={200} />
        </div>
      </div>
      <label htmlFor="release-description">What is released</label>
      <input id="release-description" value={description} onChange={(e) => setDescription(e.target.value)} required maxLength={2000} />
      <ErrorMessage error={release.error} />
      {done && <p role="status">{done}</p>}
      <button type="submit">Release…</button>
      <Confirm
        open={confirming}
        title="Release this record?"
        confirmLabel="Record the release"
        busy={release.isPending}
        onConfirm={() => release.mutate()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          Version {record.currentVersion} is disclosed to {recipient || 'the recipient'} for {purpose || 'the purpose given'}, under{' '}
          {authorization || 'the authorization given'}. The release is recorded in the patient&apos;s accounting of disclosures and cannot be taken back.
        </p>
      </Confirm>
    </form>
  );
}

function DestructionForm({ record }: { record: RecordView }) {
  const { can, session } = useSession();
  const refresh = useRefresh(record.id);
  const [authority, setAuthority] = useState('');
  const [approvedBy, setApprovedBy] = useState('');
  const [confirming, setConfirming] = useState<null | 'approve' | 'destroy'>(null);
  const [done, setDone] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: async (what: 'approve' | 'destroy') => {
      if (what === 'approve') {
        await expectOk(api.POST('/api/records/{id}/destruction-approvals', { params: { path: { id: record.id } }, body: { authority: authority.trim() } }));
        return 'Your approval is recorded: another archivist may now destroy the record under the same authority.';
      }
      await expectOk(
        api.POST('/api/records/{id}/destroy', { params: { path: { id: record.id } }, body: { authority: authority.trim(), approvedBy: approvedBy.trim() } }),
      );
      return 'The record is destroyed.';
    },
    onSuccess: (message) => {
      setConfirming(null);
      setDone(message);
      void refresh();
    },
    onError: () => setConfirming(null),
  });
  const held = record.holds.length > 0;
  return (
    <form className="card" aria-labelledby="destroy-title" onSubmit={(e) => e.preventDefault()}>
      <h3 id="destroy-title">Destruction</h3>
      {held && <p>A legal hold stands on this record: it cannot be destroyed until every hold is lifted.</p>}
      <p className="help">Dual control: one person approves, another destroys, under the same authority.</p>
      <label htmlFor="destroy-authority">Retention authority</label>
      <input id="destroy-authority" value={authority} onChange={(e) => setAuthority(e.target.value)} required maxLength={500} />
      {can('records.destroy') && (
        <>
          <label htmlFor="destroy-approved-by">Approved by (username)</label>
          <input id="destroy-approved-by" value={approvedBy} onChange={(e) => setApprovedBy(e.target.value)} maxLength={100} autoComplete="off" />
        </>
      )}
      <ErrorMessage error={act.error} />
      {done && <p role="status">{done}</p>}
      <div className="toolbar">
        {can('records.destroy.approve') && (
          <button type="button" disabled={held || !authority.trim()} onClick={() => setConfirming('approve')}>
            Approve destruction…
          </button>
        )}
        {can('records.destroy') && (
          <button
            type="button"
            disabled={held || !authority.trim() || !approvedBy.trim() || approvedBy.trim() === session?.me.username}
            onClick={() => setConfirming('destroy')}
          >
            Destroy…
          </button>
        )}
      </div>
      <Confirm
        open={confirming !== null}
        title={confirming === 'destroy' ? 'Destroy this record now?' : 'Approve the destruction of this record?'}
        confirmLabel={confirming === 'destroy' ? 'Destroy the record' : 'Approve the destruction'}
        busy={act.isPending}
        onConfirm={() => confirming && act.mutate(confirming)}
        onCancel={() => setConfirming(null)}
      >
        {confirming === 'destroy' ? (
          <p>
            Every version&apos;s content and text is deleted and the record&apos;s key destroyed: it cannot be read or reconstructed afterwards. Only its
            tombstone (who, when, under {authority || 'the authority'}) and its history of disclosures remain.
          </p>
        ) : (
          <p>
            You approve the destruction of this record as it stands (version {record.currentVersion}) under {authority || 'the authority given'}. Someone else
            performs it; an amendment after your approval needs a new one.
          </p>
        )}
      </Confirm>
    </form>
  );
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { todayUtc, useAfter } from '../api/after';
import { api, expectOk, fetchBlob, purposeHeader } from '../api/client';
import type { ReleaseRequestSummary } from '../api/types';
import { useSession } from '../session/session';
import { Confirm } from '../ui/confirm';
import { SavedLink, useDownload } from '../ui/download';
import { ErrorMessage } from '../ui/error-message';
import { useFocusOnMount } from '../ui/focus';
import { documentTypeLabel, formatDate } from '../ui/labels';
import { idsIn } from '../ui/record-ids';

/** `GET /api/release-requests`: open ones past their due day first, then by due day. */
type ReleaseRequestItem = ReleaseRequestSummary;

const STATUS: Record<ReleaseRequestItem['status'], string> = { open: 'Open', fulfilled: 'Fulfilled', denied: 'Denied' };

type Acting = { kind: 'fulfil'; request: ReleaseRequestItem } | { kind: 'deny'; request: ReleaseRequestItem };

/** Release of information (HIPAA right of access): the queue, a new request, fulfilment, denial, the package. */
export function ReleaseRequests() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const written = useAfter();
  const [acting, setActing] = useState<Acting | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const download = useDownload();

  const list = useQuery({
    queryKey: ['release-requests', written.after],
    queryFn: () => expectOk(api.GET('/api/release-requests', { params: { query: written.query } })),
    placeholderData: written.placeholderData,
  });

  const packageDownload = useMutation({
    mutationFn: (request: ReleaseRequestItem) => fetchBlob(`/api/release-requests/${request.id}/package`, 'application/zip'),
    onSuccess: (blob, request) => download.save(request.id, blob, `release-${request.id}.zip`),
  });

  function changed(message: string, position: number | null | undefined) {
    setActing(null);
    setDone(message);
    written.reached(position);
    void queryClient.invalidateQueries({ queryKey: ['release-requests'] });
  }

  const requests = list.data?.requests ?? [];
  return (
    <section aria-labelledby="release-title" className="queue">
      <h2 id="release-title">Release of information</h2>
      <p className="help">Each request is due 30 days after it was received. Overdue requests come first.</p>
      <ErrorMessage error={list.error} />
      {done && <p role="status">{done}</p>}
      {list.isPending && <p>Loading the requests…</p>}
      {list.data && requests.length === 0 && <p>No release request.</p>}
      {requests.length > 0 && (
        <table aria-labelledby="release-title">
          <thead>
            <tr>
              <th scope="col">Due</th>
              <th scope="col">MRN</th>
              <th scope="col">Received</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id} className={r.overdue ? 'overdue' : undefined}>
                <td className="nowrap">
                  {formatDate(r.dueAt)} {r.overdue && <span className="badge danger">Overdue</span>}
                </td>
                <td className="nowrap">{r.mrn}</td>
                <td className="nowrap">{formatDate(r.receivedAt)}</td>
                <td>{STATUS[r.status] ?? r.status}</td>
                <td className="actions">
                  {r.status === 'open' && can('release-requests.fulfil') && (
                    <button type="button" onClick={() => setActing({ kind: 'fulfil', request: r })}>
                      Fulfil the request for {r.mrn}…
                    </button>
                  )}
                  {r.status === 'open' && can('release-requests.deny') && (
                    <button type="button" className="secondary" onClick={() => setActing({ kind: 'deny', request: r })}>
                      Deny the request for {r.mrn}…
                    </button>
                  )}
                  {r.status === 'fulfilled' && can('release-requests.package') && (
                    <>
                      <button type="button" onClick={() => packageDownload.mutate(r)} disabled={packageDownload.isPending}>
                        Download the package for {r.mrn}
                      </button>{' '}
                      <SavedLink saved={download.saved[r.id]} />
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorMessage error={packageDownload.error} />
      {acting?.kind === 'fulfil' && (
        <FulfilConfirm
          request={acting.request}
          onDone={(position) => changed(`The request for ${acting.request.mrn} is fulfilled: its package is ready to download.`, position)}
          onCancel={() => setActing(null)}
        />
      )}
      {acting?.kind === 'deny' && (
        <DenyForm
          request={acting.request}
          onDone={(position) => changed(`The request for ${acting.request.mrn} is denied.`, position)}
          onCancel={() => setActing(null)}
        />
      )}
      {can('release-requests.create') && <CreateReleaseRequest onCreated={(message, position) => changed(message, position)} />}
    </section>
  );
}

/** Fulfilment says what goes out, to whom, and that each record's release is accounted for. */
function FulfilConfirm(props: { request: ReleaseRequestItem; onDone: (position: number | null) => void; onCancel: () => void }) {
  const details = useQuery({
    queryKey: ['release-request', props.request.id],
    queryFn: () => expectOk(api.GET('/api/release-requests/{id}', { params: { path: { id: props.request.id } } })),
  });
  const fulfil = useMutation({
    mutationFn: () => expectOk(api.POST('/api/release-requests/{id}/fulfil', { params: { path: { id: props.request.id } } })),
    onSuccess: (answer) => props.onDone(answer.position),
  });
  const d = details.data;
  return (
    <Confirm
      open
      title={`Fulfil the release request for ${props.request.mrn}?`}
      confirmLabel="Release the records"
      busy={fulfil.isPending || !d}
      onConfirm={() => fulfil.mutate()}
      onCancel={props.onCancel}
    >
      <ErrorMessage error={details.error ?? fulfil.error} />
      {!d && !details.error && <p>Loading the request…</p>}
      {d && (
        <>
          <p>
            The current version of {d.recordIds.length === 1 ? 'this record' : `these ${d.recordIds.length} records`} is packaged (originals, recognised text
            and every statement filed on them) for {d.recipient?.name ?? 'the recipient'}
            {d.recipient?.address ? `, ${d.recipient.address}` : ''}, for {d.purpose ?? 'the stated purpose'}:
          </p>
          <ul>
            {d.recordIds.map((id) => (
              <li key={id}>
                <code>{id}</code>
              </li>
            ))}
          </ul>
          <p>
            Each record&apos;s release is recorded as a disclosure to {d.recipient?.name ?? 'the recipient'} (authorization {d.authorizationReference}, valid
            until {d.authorizationExpires}) and appears in the patient&apos;s accounting of disclosures. This cannot be undone.
          </p>
        </>
      )}
    </Confirm>
  );
}

function DenyForm(props: { request: ReleaseRequestItem; onDone: (position: number | null) => void; onCancel: () => void }) {
  const [reason, setReason] = useState('');
  const field = useFocusOnMount<HTMLTextAreaElement>();
  const [confirming, setConfirming] = useState(false);
  const deny = useMutation({
    mutationFn: () => expectOk(api.POST('/api/release-requests/{id}/deny', { params: { path: { id: props.request.id } }, body: { reason: reason.trim() } })),
    onSuccess: (answer) => props.onDone(answer.position),
    onError: () => setConfirming(false),
  });
  return (
    <form
      className="card"
      aria-labelledby="deny-release-title"
      onSubmit={(e) => {
        e.preventDefault();
        setConfirming(true);
      }}
    >
      <h3 id="deny-release-title">Deny the release request for {props.request.mrn}</h3>
      <label htmlFor="deny-release-reason">Reason for the denial</label>
      <textarea id="deny-release-reason" ref={field} value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={2000} rows={2} />
      <ErrorMessage error={deny.error} />
      <div className="toolbar">
        <button type="submit">Deny…</button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      <Confirm
        open={confirming}
        title={`Deny the release request for ${props.request.mrn}?`}
        confirmLabel="Deny the request"
        busy={deny.isPending}
        onConfirm={() => deny.mutate()}
        onCancel={() => setConfirming(false)}
      >
        <p>Nothing is released. The request is closed as denied, with your reason; it can no longer be fulfilled.</p>
      </Confirm>
    </form>
  );
}

interface Fields {
  mrn: string;
  requester: string;
  recipientName: string;
  recipientAddress: string;
  purpose: string;
  otherIds: string;
  authorizationReference: string;
  authorizationExpires: string;
  receivedAt: string;
}

const EMPTY: Fields = {
  mrn: '',
  requester: '',
  recipientName: '',
  recipientAddress: '',
  purpose: '',
  otherIds: '',
  authorizationReference: '',
  authorizationExpires: '',
  receivedAt: '',
};

function CreateReleaseRequest({ onCreated }: { onCreated: (message: string, position: number | null) => void }) {
  const [fields, setFields] = useState<Fields>({ ...EMPTY, receivedAt: todayUtc() });
  const [picked, setPicked] = useState<string[]>([]);
  const [lookedUp, setLookedUp] = useState<string | null>(null);
  const set = (f: keyof Fields) => (e: { target: { value: string } }) => setFields((s) => ({ ...s, [f]: e.target.value }));

  const records = useQuery({
    queryKey: ['release-records', lookedUp],
    enabled: lookedUp !== null,
    queryFn: () =>
      expectOk(api.GET('/api/search', { params: { header: purposeHeader(), query: { mrn: lookedUp ?? '', limit: 100 } } })).then((answer) => {
        const seen = new Set<string>();
        return answer.results.filter((hit) => !seen.has(hit.recordId) && seen.add(hit.recordId));
      }),
  });

  const create = useMutation({
    mutationFn: () => {
      const recordIds = [...new Set([...picked, ...idsIn(fields.otherIds)])];
      return expectOk(
        api.POST('/api/release-requests', {
          body: {
            mrn: fields.mrn.trim(),
            requester: fields.requester.trim(),
            recipient: { name: fields.recipientName.trim(), ...(fields.recipientAddress.trim() ? { address: fields.recipientAddress.trim() } : {}) },
            purpose: fields.purpose.trim(),
            recordIds,
            authorizationReference: fields.authorizationReference.trim(),
            authorizationExpires: fields.authorizationExpires,
            receivedAt: fields.receivedAt,
          },
        }),
      );
    },
    onSuccess: (answer) => {
      onCreated(`Release request for ${fields.mrn.trim()} registered: due ${answer.dueAt}.`, answer.position);
      setFields({ ...EMPTY, receivedAt: todayUtc() });
      setPicked([]);
      setLookedUp(null);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <form onSubmit={submit} className="card" aria-labelledby="new-release-title">
      <h3 id="new-release-title">New release request</h3>
      <div className="grid">
        <div>
          <label htmlFor="release-mrn">MRN</label>
          <input id="release-mrn" value={fields.mrn} onChange={set('mrn')} required autoComplete="off" />
        </div>
        <div>
          <label htmlFor="release-requester">Requester</label>
          <input id="release-requester" value={fields.requester} onChange={set('requester')} required aria-describedby="release-requester-help" />
          <p id="release-requester-help" className="help">
            The patient or their personal representative.
          </p>
        </div>
        <div>
          <label htmlFor="release-recipient">Recipient name</label>
          <input id="release-recipient" value={fields.recipientName} onChange={set('recipientName')} required />
        </div>
        <div>
          <label htmlFor="release-address">Recipient address</label>
          <input id="release-address" value={fields.recipientAddress} onChange={set('recipientAddress')} />
        </div>
        <div>
          <label htmlFor="release-purpose">Purpose of the release</label>
          <input id="release-purpose" value={fields.purpose} onChange={set('purpose')} required />
        </div>
        <div>
          <label htmlFor="release-authorization">Authorization reference</label>
          <input id="release-authorization" value={fields.authorizationReference} onChange={set('authorizationReference')} required />
        </div>
        <div>
          <label htmlFor="release-expires">Authorization expires</label>
          <input id="release-expires" type="date" value={fields.authorizationExpires} onChange={set('authorizationExpires')} required />
        </div>
        <div>
          <label htmlFor="release-received">Received</label>
          <input id="release-received" type="date" value={fields.receivedAt} onChange={set('receivedAt')} max={todayUtc()} required />
        </div>
      </div>
      <fieldset>
        <legend>Records to release</legend>
        <button type="button" className="secondary" onClick={() => setLookedUp(fields.mrn.trim())} disabled={fields.mrn.trim() === ''}>
          Find the patient&apos;s records
        </button>
        <ErrorMessage error={records.error} />
        <div aria-live="polite">
          {records.isFetching && <p>Looking up the records…</p>}
          {records.data && records.data.length === 0 && <p>No record of this patient was found.</p>}
        </div>
        {records.data?.map((hit) => (
          <label key={hit.recordId} className="checkbox record-choice">
            <input
              type="checkbox"
              checked={picked.includes(hit.recordId)}
              onChange={(e) => setPicked((p) => (e.target.checked ? [...p, hit.recordId] : p.filter((id) => id !== hit.recordId)))}
            />
            {hit.title} ({documentTypeLabel(hit.documentType)}, {formatDate(hit.date)})
          </label>
        ))}
        <label htmlFor="release-ids">Other record ids</label>
        <textarea id="release-ids" value={fields.otherIds} onChange={set('otherIds')} rows={2} aria-describedby="release-ids-help" />
        <p id="release-ids-help" className="help">
          Optional: record ids separated by spaces, commas or lines, added to the records ticked above.
        </p>
      </fieldset>
      <ErrorMessage error={create.error} />
      <button type="submit" disabled={create.isPending}>
        Register the request
      </button>
    </form>
  );
}

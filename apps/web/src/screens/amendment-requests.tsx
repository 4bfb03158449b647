import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { todayUtc, useAfter } from '../api/after';
import type { AmendmentRequestSummary } from '../api/types';
import { api, authHeaders, expectOk } from '../api/client';
import { ApiError, problemOf } from '../api/problem';
import { useSession } from '../session/session';
import { Confirm } from '../ui/confirm';
import { ErrorMessage } from '../ui/error-message';
import { useFocusOnMount } from '../ui/focus';
import { formatDate } from '../ui/labels';

type Status = 'received' | 'accepted' | 'denied' | 'disagreement-filed' | 'rebuttal-filed';

type AmendmentRequestItem = AmendmentRequestSummary;

const STATUS: Record<Status, string> = {
  received: 'Awaiting an answer',
  accepted: 'Accepted (amended)',
  denied: 'Denied',
  'disagreement-filed': "Patient's disagreement filed",
  'rebuttal-filed': 'Rebuttal filed',
};

type Step = 'accept' | 'deny' | 'disagreement' | 'rebuttal';

/** Each step in words: its button, its form, and what the confirmation says will happen. */
const STEPS: Record<Step, { action: string; title: string; field: string; confirm: string; done: string; permission: string }> = {
  accept: {
    action: 'Accept',
    title: 'Accept the amendment request',
    field: 'Reason for the amendment',
    confirm:
      "A new version of the record is added at the patient's request (with the new scan if one is attached, else the current pages). Every earlier version stays readable and unchanged.",
    done: 'Accepted: the record has a new version.',
    permission: 'amendment-requests.accept',
  },
  deny: {
    action: 'Deny',
    title: 'Deny the amendment request',
    field: 'Reason for the denial',
    confirm:
      'The denial is filed on the record as a statement and travels with every later release of it. The patient may then file a statement of disagreement.',
    done: 'Denied: the denial is filed on the record.',
    permission: 'amendment-requests.deny',
  },
  disagreement: {
    action: 'File disagreement',
    title: "File the patient's statement of disagreement",
    field: "The patient's statement",
    confirm: "The patient's statement of disagreement is filed on the record and travels with every later release of it. It cannot be changed afterwards.",
    done: 'The statement of disagreement is filed on the record.',
    permission: 'amendment-requests.disagreement',
  },
  rebuttal: {
    action: 'File rebuttal',
    title: 'File a rebuttal',
    field: 'Rebuttal statement',
    confirm:
      "The rebuttal is filed on the record, after the patient's disagreement, and travels with every later release of it. It cannot be changed afterwards.",
    done: 'The rebuttal is filed on the record.',
    permission: 'amendment-requests.rebuttal',
  },
};

/** The steps a request in this status may take next. */
function nextSteps(status: Status): Step[] {
  if (status === 'received') return ['accept', 'deny'];
  if (status === 'denied') return ['disagreement'];
  if (status === 'disagreement-filed') return ['rebuttal'];
  return [];
}

/** Patients' amendment requests (45 CFR 164.526): answered within 60 days; a denial, disagreement and rebuttal follow the record. */
export function AmendmentRequests() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const written = useAfter();
  const [acting, setActing] = useState<{ step: Step; request: AmendmentRequestItem } | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const list = useQuery({
    queryKey: ['amendment-requests', written.after],
    queryFn: () => expectOk(api.GET('/api/amendment-requests', { params: { query: written.query } })),
    placeholderData: written.placeholderData,
  });

  function changed(message: string, position: number | null | undefined) {
    setActing(null);
    setDone(message);
    written.reached(position);
    void queryClient.invalidateQueries({ queryKey: ['amendment-requests'] });
  }

  const requests = list.data?.requests ?? [];
  return (
    <section aria-labelledby="amendment-title" className="queue">
      <h2 id="amendment-title">Amendment requests</h2>
      <p className="help">Each request is due 60 days after it was received. Overdue requests come first.</p>
      <ErrorMessage error={list.error} />
      {done && <p role="status">{done}</p>}
      {list.isPending && <p>Loading the requests…</p>}
      {list.data && requests.length === 0 && <p>No amendment request.</p>}
      {requests.length > 0 && (
        <table aria-labelledby="amendment-title">
          <thead>
            <tr>
              <th scope="col">Due</th>
              <th scope="col">Record</th>
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
                <td>
                  <Link to={`/records/${r.recordId}`}>
                    <code>{r.recordId}</code>
                  </Link>
                </td>
                <td className="nowrap">{formatDate(r.receivedAt)}</td>
                <td>{STATUS[r.status] ?? r.status}</td>
                <td className="actions">
                  {nextSteps(r.status)
                    .filter((step) => can(STEPS[step].permission))
                    .map((step) => (
                      <button
                        key={step}
                        type="button"
                        className={step === 'deny' ? 'secondary' : undefined}
                        onClick={() => {
                          setDone(null);
                          setActing({ step, request: r });
                        }}
                      >
                        {STEPS[step].action}…
                        <span className="visually-hidden">
                          {' '}
                          the request received {formatDate(r.receivedAt)} for the record {r.recordId}
                        </span>
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {acting && (
        <StepForm
          key={`${acting.request.id}-${acting.step}`}
          step={acting.step}
          request={acting.request}
          onDone={(position) => changed(STEPS[acting.step].done, position)}
          onCancel={() => setActing(null)}
        />
      )}
      {can('amendment-requests.create') && <CreateAmendmentRequest onCreated={changed} />}
    </section>
  );
}

/** Accept (a multipart amendment, file optional), deny, disagreement or rebuttal: a text, then a confirmation in words. */
function StepForm(props: { step: Step; request: AmendmentRequestItem; onDone: (position: number | null) => void; onCancel: () => void }) {
  const words = STEPS[props.step];
  const [text, setText] = useState('');
  const field = useFocusOnMount<HTMLTextAreaElement>();
  const [file, setFile] = useState<File | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const [confirming, setConfirming] = useState(false);
  const id = props.request.id;

  const send = useMutation({
    mutationFn: async (): Promise<{ position: number | null }> => {
      const value = text.trim();
      if (props.step === 'accept') {
        const form = new FormData();
        form.append('kind', 'patient-requested');
        form.append('reason', value);
        if (file) form.append('file', file, file.name);
        const response = await fetch(`/api/amendment-requests/${id}/accept`, { method: 'POST', headers: authHeaders(), body: form }).catch(() => {
          throw new ApiError({ status: 0, detail: 'The server could not be reached. Check the connection and try again.' });
        });
        if (!response.ok) throw new ApiError(await problemOf(response));
        return (await response.json()) as { position: number | null };
      }
      const path = { params: { path: { id } } };
      if (props.step === 'deny') return expectOk(api.POST('/api/amendment-requests/{id}/deny', { ...path, body: { reason: value } }));
      if (props.step === 'disagreement') return expectOk(api.POST('/api/amendment-requests/{id}/disagreement', { ...path, body: { statement: value } }));
      return expectOk(api.POST('/api/amendment-requests/{id}/rebuttal', { ...path, body: { statement: value } }));
    },
    onSuccess: (answer) => props.onDone(answer.position),
    onError: () => setConfirming(false),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setConfirming(true);
  }

  return (
    <form onSubmit={submit} className="card" aria-labelledby="step-title">
      <h3 id="step-title">{words.title}</h3>
      <p>
        Request received {formatDate(props.request.receivedAt)} for the record <code>{props.request.recordId}</code>.
      </p>
      <label htmlFor="step-text">{words.field}</label>
      <textarea
        id="step-text"
        ref={field}
        value={text}
        onChange={(e) => setText(e.target.value)}
        required
        maxLength={props.step === 'accept' ? 2000 : 5000}
        rows={3}
      />
      {props.step === 'accept' && (
        <>
          <label htmlFor="step-file">Amended scan</label>
          <input
            id="step-file"
            ref={fileInput}
            type="file"
            accept=".pdf,.tif,.tiff,.png,.jpg,.jpeg"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            aria-describedby="step-file-help"
          />
          <p id="step-file-help" className="help">
            Optional: without a scan the new version keeps the current pages.
          </p>
        </>
      )}
      <ErrorMessage error={send.error} />
      <div className="toolbar">
        <button type="submit">{words.action}…</button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      <Confirm
        open={confirming}
        title={`${words.title}?`}
        confirmLabel={words.action}
        busy={send.isPending}
        onConfirm={() => send.mutate()}
        onCancel={() => setConfirming(false)}
      >
        <p>{words.confirm}</p>
        {props.step === 'accept' && <p>{file ? `The new scan: ${file.name}.` : 'No new scan: the current pages are kept.'}</p>}
      </Confirm>
    </form>
  );
}

function CreateAmendmentRequest({ onCreated }: { onCreated: (message: string, position: number | null) => void }) {
  const [recordId, setRecordId] = useState('');
  const [change, setChange] = useState('');
  const [receivedAt, setReceivedAt] = useState(todayUtc());
  const create = useMutation({
    mutationFn: () => expectOk(api.POST('/api/amendment-requests', { body: { recordId: recordId.trim(), requestedChange: change.trim(), receivedAt } })),
    onSuccess: (answer) => {
      onCreated(`Amendment request registered: due ${answer.dueAt}.`, answer.position);
      setRecordId('');
      setChange('');
      setReceivedAt(todayUtc());
    },
  });
  return (
    <form
      className="card"
      aria-labelledby="new-amendment-title"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h3 id="new-amendment-title">New amendment request</h3>
      <label htmlFor="amendment-record">Record id</label>
      <input id="amendment-record" className="wide" value={recordId} onChange={(e) => setRecordId(e.target.value)} required autoComplete="off" />
      <label htmlFor="amendment-change">Requested change</label>
      <textarea id="amendment-change" value={change} onChange={(e) => setChange(e.target.value)} required maxLength={5000} rows={3} />
      <label htmlFor="amendment-received">Received</label>
      <input id="amendment-received" type="date" value={receivedAt} onChange={(e) => setReceivedAt(e.target.value)} max={todayUtc()} required />
      <ErrorMessage error={create.error} />
      <div>
        <button type="submit" disabled={create.isPending}>
          Register the request
        </button>
      </div>
    </form>
  );
}

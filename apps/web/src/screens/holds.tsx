import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { headPosition, useAfter } from '../api/after';
import { api, expectOk } from '../api/client';
import { useSession } from '../session/session';
import { Confirm } from '../ui/confirm';
import { ErrorMessage } from '../ui/error-message';
import { formatDate } from '../ui/labels';
import { idsIn } from '../ui/record-ids';
import { ScreenTitle } from '../ui/screen-title';
import type { MatterHold as MatterHoldView } from '../api/types';

/** `GET /api/legal-holds`, newest first. The matter, reason and MRN are PHI (a read with a purpose of use). */
type MatterHold = MatterHoldView;

/** Legal holds by matter: while one stands, the records it covers cannot be destroyed. */
export function HoldsScreen() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const written = useAfter();
  const [lifting, setLifting] = useState<MatterHold | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const list = useQuery({
    queryKey: ['legal-holds', written.after],
    queryFn: () => expectOk(api.GET('/api/legal-holds', { params: { query: written.query } })),
    placeholderData: written.placeholderData,
  });

  function changed(message: string, position: number | null | undefined) {
    setLifting(null);
    setDone(message);
    written.reached(position);
    void queryClient.invalidateQueries({ queryKey: ['legal-holds'] });
  }

  const lift = useMutation({
    mutationFn: async (hold: MatterHold) => {
      await expectOk(api.DELETE('/api/legal-holds/{id}', { params: { path: { id: hold.id } } }));
      // The lift answers no position (204): the list is read as of the log's head after it.
      return headPosition();
    },
    onSuccess: (position, hold) => changed(`The hold for ${hold.matter} is lifted.`, position),
    onError: () => setLifting(null),
  });

  const holds = list.data?.holds ?? [];
  const standing = holds.filter((h) => !h.liftedAt);
  const lifted = holds.filter((h) => h.liftedAt);
  return (
    <section aria-labelledby="holds-title" className="queue">
      <ScreenTitle id="holds-title">Legal holds</ScreenTitle>
      <p className="help">While a hold stands, the records it covers cannot be destroyed, whatever their retention schedule says.</p>
      {can('legal-holds.place') && <PlaceHold onPlaced={changed} />}
      <h2 id="standing-title">Standing holds</h2>
      <ErrorMessage error={list.error ?? lift.error} />
      {done && <p role="status">{done}</p>}
      {list.isPending && <p>Loading the holds…</p>}
      {list.data && standing.length === 0 && <p>No legal hold stands.</p>}
      {standing.length > 0 && (
        <HoldTable labelledBy="standing-title" holds={standing} onLift={can('legal-holds.lift') ? (hold) => setLifting(hold) : undefined} />
      )}
      {lifted.length > 0 && (
        <>
          <h2 id="lifted-title">Lifted holds</h2>
          <HoldTable labelledBy="lifted-title" holds={lifted} />
        </>
      )}
      <Confirm
        open={lifting !== null}
        title={`Lift the hold for ${lifting?.matter ?? ''}?`}
        confirmLabel="Lift the hold"
        busy={lift.isPending}
        onConfirm={() => lifting && lift.mutate(lifting)}
        onCancel={() => setLifting(null)}
      >
        <p>
          The hold for {lifting?.matter} is lifted from {lifting?.recordIds.length === 1 ? 'its record' : `all ${lifting?.recordIds.length} of its records`}
          {lifting?.mrn ? `, and later records of ${lifting.mrn} are no longer held when they are created` : ''}. A record that no other hold covers may then be
          destroyed when its retention ends.
        </p>
      </Confirm>
    </section>
  );
}

function HoldTable({ labelledBy, holds, onLift }: { labelledBy: string; holds: MatterHold[]; onLift?: (hold: MatterHold) => void }) {
  return (
    <table aria-labelledby={labelledBy}>
      <thead>
        <tr>
          <th scope="col">Matter</th>
          <th scope="col">Reason</th>
          <th scope="col">Records</th>
          <th scope="col">Placed</th>
          <th scope="col">{onLift ? 'Actions' : 'Lifted'}</th>
        </tr>
      </thead>
      <tbody>
        {holds.map((h) => (
          <tr key={h.id}>
            <td>{h.matter}</td>
            <td>{h.reason}</td>
            <td>
              {h.mrn && <p className="cell-note">Every record of {h.mrn}, also those created later:</p>}
              {h.recordIds.length === 0 ? (
                'No record yet'
              ) : (
                <ul className="plain">
                  {h.recordIds.map((id) => (
                    <li key={id}>
                      <Link to={`/records/${id}`}>
                        <code>{id}</code>
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
            </td>
            <td>
              {formatDate(h.placedAt)} by {h.placedBy}
            </td>
            <td className="actions">
              {onLift ? (
                <button type="button" onClick={() => onLift(h)}>
                  Lift the hold for {h.matter}…
                </button>
              ) : (
                `${formatDate(h.liftedAt)} by ${h.liftedBy ?? '—'}`
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PlaceHold({ onPlaced }: { onPlaced: (message: string, position: number | null) => void }) {
  const [matter, setMatter] = useState('');
  const [reason, setReason] = useState('');
  const [ids, setIds] = useState('');
  const [mrn, setMrn] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [missing, setMissing] = useState<string | null>(null);
  const recordIds = idsIn(ids);

  const place = useMutation({
    mutationFn: () =>
      expectOk(
        api.POST('/api/legal-holds', {
          body: { matter: matter.trim(), reason: reason.trim(), ...(recordIds.length > 0 ? { recordIds } : {}), ...(mrn.trim() ? { mrn: mrn.trim() } : {}) },
        }),
      ),
    onSuccess: (answer) => {
      setConfirming(false);
      const count = answer.recordIds.length;
      onPlaced(`The hold for ${matter.trim()} is placed on ${count === 1 ? '1 record' : `${count} records`}.`, answer.position);
      setMatter('');
      setReason('');
      setIds('');
      setMrn('');
    },
    onError: () => setConfirming(false),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (recordIds.length === 0 && mrn.trim() === '') return setMissing('Name the records to hold: their ids, a patient’s MRN, or both.');
    setMissing(null);
    setConfirming(true);
  }

  const scope = [
    recordIds.length > 0 ? (recordIds.length === 1 ? 'the record named' : `the ${recordIds.length} records named`) : '',
    mrn.trim() ? `every record of ${mrn.trim()}, including those created later` : '',
  ]
    .filter(Boolean)
    .join(' and ');

  return (
    <form onSubmit={submit} className="card" aria-labelledby="place-hold-title">
      <h2 id="place-hold-title">Place a hold</h2>
      <label htmlFor="hold-matter">Matter</label>
      <input id="hold-matter" className="wide" value={matter} onChange={(e) => setMatter(e.target.value)} required maxLength={300} autoComplete="off" />
      <label htmlFor="hold-reason">Reason for the hold</label>
      <input id="hold-reason" className="wide" value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={2000} />
      <label htmlFor="hold-records">Record ids</label>
      <textarea id="hold-records" value={ids} onChange={(e) => setIds(e.target.value)} rows={3} aria-describedby="hold-records-help" />
      <p id="hold-records-help" className="help">
        Separated by spaces, commas or lines.
      </p>
      <label htmlFor="hold-mrn">Patient&apos;s MRN</label>
      <input id="hold-mrn" value={mrn} onChange={(e) => setMrn(e.target.value)} autoComplete="off" aria-describedby="hold-mrn-help" />
      <p id="hold-mrn-help" className="help">
        Optional: holds every record of the patient, and those created later until the hold is lifted. Give record ids, an MRN, or both.
      </p>
      {missing && (
        <p className="error" role="alert">
          {missing}
        </p>
      )}
      <ErrorMessage error={place.error} />
      <button type="submit">Place the hold…</button>
      <Confirm
        open={confirming}
        title={`Place a legal hold for ${matter.trim()}?`}
        confirmLabel="Place the hold"
        busy={place.isPending}
        onConfirm={() => place.mutate()}
        onCancel={() => setConfirming(false)}
      >
        <p>The hold covers {scope}. While it stands, none of them can be destroyed, whatever their retention schedule says.</p>
      </Confirm>
    </form>
  );
}

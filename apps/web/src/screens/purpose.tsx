import { ScreenTitle } from '../ui/screen-title';
import { useState, type FormEvent } from 'react';
import type { Purpose } from '../api/types';
import { useSession } from '../session/session';
import { PURPOSES } from '../ui/labels';

/** Before any patient data: why the user is reading (HIPAA purpose of use); emergency needs a justification. */
export function PurposeForm({ onDone }: { onDone?: () => void }) {
  const { session, choosePurpose } = useSession();
  const purposes = session?.me.purposes ?? [];
  const [purpose, setPurpose] = useState<Purpose | ''>(session?.purpose ?? (purposes.length === 1 ? purposes[0] : ''));
  const [justification, setJustification] = useState(session?.justification ?? '');
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!purpose) return setError('Choose a purpose of use.');
    if (purpose === 'emergency' && justification.trim() === '')
      return setError('Emergency access needs a justification: say why you must read these records now.');
    if (justification.length > 1000) return setError('The justification is too long (at most 1,000 characters).');
    choosePurpose(purpose, purpose === 'emergency' ? justification.trim() : undefined);
    onDone?.();
  }

  return (
    <form onSubmit={submit} className="card narrow" aria-labelledby="purpose-title">
      <ScreenTitle id="purpose-title">Why are you reading patient records?</ScreenTitle>
      <p>Every read of patient data is recorded with its purpose.</p>
      <label htmlFor="purpose">Purpose of use</label>
      <select id="purpose" value={purpose} onChange={(e) => setPurpose(e.target.value as Purpose)} required>
        <option value="">Choose…</option>
        {purposes.map((p) => (
          <option key={p} value={p}>
            {PURPOSES[p] ?? p}
          </option>
        ))}
      </select>
      {purpose === 'emergency' && (
        <>
          <label htmlFor="justification">Justification</label>
          <textarea
            id="justification"
            value={justification}
            onChange={(e) => setJustification(e.target.value)}
            maxLength={1000}
            rows={3}
            required
            aria-describedby="justification-help"
          />
          <p id="justification-help" className="help">
            Emergency reads are reviewed by an auditor afterwards.
          </p>
        </>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Continue</button>
    </form>
  );
}

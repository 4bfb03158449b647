import { useMutation } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { api, expectOk, fetchBlob } from '../api/client';
import { ApiError } from '../api/problem';
import type { CoverSheetFields } from '../api/types';
import { printCoverSheet, printCoverSheetBatch, rowErrors } from '../upload/cover-sheets';
import { Confirm } from '../ui/confirm';
import { DocumentTypeSelect } from '../ui/document-type-select';
import { SavedLink, useDownload } from '../ui/download';
import { ErrorMessage } from '../ui/error-message';
import { ScreenTitle } from '../ui/screen-title';
import { UploadNav } from '../ui/upload-nav';
import { IdField, isUuid } from '../ui/id-field';

/** The longest reason the server takes (MAX_VOID_REASON). */
const MAX_VOID_REASON = 500;

const EMPTY = { mrn: '', patientName: '', dateOfBirth: '', documentType: '', title: '', encounterDate: '' };
type Fields = typeof EMPTY;

/**
 * Cover sheets go on top of each document in a scanner's stack: their QR code names the sheet
 * (never the patient), and the stack is split into records by them. One sheet, a clinic's day from
 * a CSV, or the separator sheet between two documents of the same patient.
 */
export function CoverSheetsScreen() {
  const download = useDownload();
  // The sheets printed in this visit, newest first: the ones a clerk may want to void.
  const [printed, setPrinted] = useState<string[]>([]);
  const remember = (ids: string[]) => setPrinted((known) => [...ids.filter((id) => !known.includes(id)).reverse(), ...known]);
  return (
    <section aria-labelledby="cover-sheets-title">
      <ScreenTitle id="cover-sheets-title">Print cover sheets</ScreenTitle>
      <UploadNav />
      <p className="help">
        Put a cover sheet on top of each document, then scan the whole pile as one stack (&ldquo;Upload a stack&rdquo;): medrec files the pages behind each
        sheet as a record with the sheet&apos;s details. Each sheet files one document only.
      </p>
      <OneSheet download={download} onPrinted={remember} />
      <Batch download={download} onPrinted={remember} />
      <Separator download={download} />
      <VoidSheet printed={printed} />
    </section>
  );
}

type Download = ReturnType<typeof useDownload>;

function OneSheet({ download, onPrinted }: { download: Download; onPrinted: (ids: string[]) => void }) {
  const [fields, setFields] = useState<Fields>(EMPTY);
  const [issued, setIssued] = useState<{ id: string; mrn: string } | null>(null);
  const print = useMutation({
    mutationFn: (body: CoverSheetFields) => printCoverSheet(body),
    onSuccess: (printed, body) => {
      const id = printed.ids[0] ?? 'unknown';
      download.save('one', printed.pdf, `cover-sheet-${id}.pdf`);
      setIssued({ id, mrn: body.mrn });
      setFields(EMPTY);
      onPrinted(printed.ids);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setIssued(null);
    const trimmed = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.trim()])) as Fields;
    print.mutate({
      mrn: trimmed.mrn,
      patientName: trimmed.patientName,
      dateOfBirth: trimmed.dateOfBirth,
      documentType: trimmed.documentType as CoverSheetFields['documentType'],
      ...(trimmed.title ? { title: trimmed.title } : {}),
      ...(trimmed.encounterDate ? { encounterDate: trimmed.encounterDate } : {}),
    });
  }

  const set = (field: keyof Fields) => (e: { target: { value: string } }) => setFields((f) => ({ ...f, [field]: e.target.value }));
  return (
    <form onSubmit={submit} className="card" aria-labelledby="one-sheet-title">
      <h2 id="one-sheet-title">One cover sheet</h2>
      <div className="grid">
        <div>
          <label htmlFor="sheet-mrn">MRN</label>
          <input id="sheet-mrn" value={fields.mrn} onChange={set('mrn')} required autoComplete="off" />
        </div>
        <div>
          <label htmlFor="sheet-patientName">Patient name</label>
          <input id="sheet-patientName" value={fields.patientName} onChange={set('patientName')} required autoComplete="off" />
        </div>
        <div>
          <label htmlFor="sheet-dateOfBirth">Date of birth</label>
          <input id="sheet-dateOfBirth" type="date" value={fields.dateOfBirth} onChange={set('dateOfBirth')} required />
        </div>
        <div>
          <DocumentTypeSelect
            id="sheet-documentType"
            value={fields.documentType}
            onChange={(value) => setFields((f) => ({ ...f, documentType: value }))}
            empty="Choose…"
            required
          />
        </div>
        <div>
          <label htmlFor="sheet-title">Title (optional)</label>
          <input id="sheet-title" value={fields.title} onChange={set('title')} autoComplete="off" />
        </div>
        <div>
          <label htmlFor="sheet-encounterDate">Encounter date (optional)</label>
          <input id="sheet-encounterDate" type="date" value={fields.encounterDate} onChange={set('encounterDate')} />
        </div>
      </div>
      <ErrorMessage error={print.error} />
      <button type="submit" disabled={print.isPending}>
        {print.isPending ? 'Printing…' : 'Print the cover sheet'}
      </button>
      <div role="status">
        {issued && (
          <p>
            Cover sheet <code>{issued.id}</code> issued for {issued.mrn}: print it and put it on top of the document. <SavedLink saved={download.saved.one} />
          </p>
        )}
      </div>
    </form>
  );
}

function Batch({ download, onPrinted }: { download: Download; onPrinted: (ids: string[]) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const [issued, setIssued] = useState<{ count: number; batchId?: string; ids: string[] } | null>(null);
  const print = useMutation({
    mutationFn: (csv: File) => printCoverSheetBatch(csv),
    onSuccess: (printed) => {
      download.save('batch', printed.pdf, `cover-sheets-${printed.batchId ?? 'batch'}.pdf`);
      setIssued({ count: printed.ids.length, batchId: printed.batchId, ids: printed.ids });
      onPrinted(printed.ids);
      setFile(null);
      if (input.current) input.current.value = '';
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setIssued(null);
    if (file) print.mutate(file);
  }

  const problem = print.error instanceof ApiError ? print.error.problem : undefined;
  const rows = rowErrors(problem?.errors);
  return (
    <form onSubmit={submit} className="card" aria-labelledby="batch-title">
      <h2 id="batch-title">A clinic&apos;s day (CSV)</h2>
      <label htmlFor="batch-csv">CSV of the sheets</label>
      <input
        id="batch-csv"
        ref={input}
        type="file"
        accept=".csv,text/csv"
        required
        aria-describedby="batch-csv-help"
        onChange={(e) => setFile(e.target.files?.[0] ?? null)}
      />
      <p id="batch-csv-help" className="help">
        A header row naming the columns mrn, patientName, dateOfBirth, documentType and optionally title, encounterDate, then one row a sheet (at most 200).
        Every row is checked first: if one is wrong, no sheet is printed.
      </p>
      {print.error !== null && (
        <div className="error" role="alert">
          <p>{rows.length > 0 ? refusedRows(rows.map((r) => r.row)) : print.error.message}</p>
          {rows.length > 0 && (
            <ul className="row-errors" aria-label="Problems by row">
              {rows.map(({ row, problems }) => (
                <li key={row}>
                  {row > 0 ? `Row ${row}: ` : ''}
                  {problems.join('; ')}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <button type="submit" disabled={print.isPending || !file}>
        {print.isPending ? 'Printing…' : 'Print the sheets of the CSV'}
      </button>
      <div role="status">
        {issued && (
          <div>
            <p>
              {issued.count === 1 ? '1 cover sheet' : `${issued.count} cover sheets`} issued, one page each in the order of the rows.{' '}
              <SavedLink saved={download.saved.batch} />
            </p>
            <details>
              <summary>Their ids</summary>
              <ol>
                {issued.ids.map((id) => (
                  <li key={id}>
                    <code>{id}</code>
                  </li>
                ))}
              </ol>
            </details>
          </div>
        )}
      </div>
    </form>
  );
}

function Separator({ download }: { download: Download }) {
  const fetchSeparator = useMutation({
    mutationFn: () => fetchBlob('/api/cover-sheets/separator', 'application/pdf'),
    onSuccess: (blob) => download.save('separator', blob, 'separator-sheet.pdf'),
  });
  return (
    <div className="card" role="group" aria-labelledby="separator-title">
      <h2 id="separator-title">Separator sheet</h2>
      <p>
        Put it between two documents of the same patient behind one cover sheet: each becomes a record of its own with the cover sheet&apos;s details. It names
        no one and can be printed once and used again.
      </p>
      <ErrorMessage error={fetchSeparator.error} />
      <button type="button" onClick={() => fetchSeparator.mutate()} disabled={fetchSeparator.isPending}>
        Download the separator sheet
      </button>{' '}
      <SavedLink saved={download.saved.separator} />
    </div>
  );
}

/**
 * Void a sheet printed by mistake (wrong patient, printed twice): it can no longer file a document,
 * and pages scanned behind it go to the review queue. Picked from the sheets printed here, or its id
 * typed (from the sheet, under its QR code); the reason is required, confirmed before it is sent.
 */
function VoidSheet({ printed }: { printed: string[] }) {
  const [id, setId] = useState('');
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<{ id: string; reason: string } | null>(null);
  const [voided, setVoided] = useState<{ id: string; by: string } | null>(null);
  const [voidedHere, setVoidedHere] = useState<string[]>([]);
  const reasonField = useRef<HTMLTextAreaElement>(null);
  const voidSheet = useMutation({
    mutationFn: (v: { id: string; reason: string }) =>
      expectOk(api.POST('/api/cover-sheets/{id}/void', { params: { path: { id: v.id } }, body: { reason: v.reason } })),
    // Voided before (by anyone): the server answers that first void, and the status names its author.
    onSuccess: (sheet) => {
      setConfirming(null);
      setVoided({ id: sheet.id, by: sheet.voidedBy ?? '' });
      setVoidedHere((ids) => [...ids, sheet.id]);
      setId('');
      setReason('');
    },
  });

  function choose(sheetId: string) {
    setId(sheetId);
    setInvalid(null);
    reasonField.current?.focus();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setVoided(null);
    const value = id.trim().toLowerCase();
    if (!isUuid(value)) return setInvalid('The cover sheet id is a UUID of 36 characters, printed under the QR code of the sheet.');
    setInvalid(null);
    voidSheet.reset();
    setConfirming({ id: value, reason: reason.trim() });
  }

  const problem = voidSheet.error instanceof ApiError ? voidSheet.error.problem : undefined;
  const refused = problem !== undefined && (problem.status === 409 || problem.status === 404);
  return (
    <form onSubmit={submit} className="card" aria-labelledby="void-title">
      <h2 id="void-title">Void a cover sheet</h2>
      <p className="help">
        A sheet printed by mistake, or that will not be used: once voided it files nothing, and pages scanned behind it go to the review queue. A sheet that
        already filed a document cannot be voided.
      </p>
      {printed.length > 0 && (
        <ul className="printed-sheets" aria-label="Sheets printed here">
          {printed.map((sheetId) => (
            <li key={sheetId}>
              <code>{sheetId}</code>{' '}
              {voidedHere.includes(sheetId) ? (
                <span>voided</span>
              ) : (
                <button type="button" className="secondary" onClick={() => choose(sheetId)} aria-label={`Choose the cover sheet ${sheetId} to void`}>
                  Choose
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <IdField id="void-id" label="Cover sheet id" value={id} onChange={setId} error={invalid} />
      <label htmlFor="void-reason">Reason</label>
      <textarea
        id="void-reason"
        ref={reasonField}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        required
        maxLength={MAX_VOID_REASON}
        rows={2}
        aria-describedby="void-reason-help"
      />
      <p id="void-reason-help" className="help">
        Why it is voided (at most {MAX_VOID_REASON} characters). It may name the patient: it is stored encrypted, and erased with the sheet&apos;s details.
      </p>
      <button type="submit" disabled={reason.trim() === ''}>
        Void…
      </button>
      <div role="status">
        {voided && (
          <p>
            Cover sheet <code>{voided.id}</code> voided{voided.by ? ` by ${voided.by}` : ''}: throw the printed sheet away.
          </p>
        )}
      </div>
      <Confirm
        open={confirming !== null}
        title="Void the cover sheet?"
        confirmLabel="Void the sheet"
        busy={voidSheet.isPending || refused}
        onConfirm={() => confirming && voidSheet.mutate(confirming)}
        onCancel={() => {
          setConfirming(null);
          voidSheet.reset();
        }}
      >
        {confirming && (
          <p>
            The cover sheet <code>{confirming.id}</code> will be voided: it can no longer file a document, and pages scanned behind it will go to the review
            queue. It is recorded in your name with the reason, and cannot be undone.
          </p>
        )}
        <ErrorMessage error={voidSheet.error} />
        {problem?.status === 409 && typeof problem.recordId === 'string' && (
          <p>
            It already filed the record <code>{problem.recordId}</code>: nothing was changed.
          </p>
        )}
      </Confirm>
    </form>
  );
}

/** The lead of a refused CSV: nothing printed, and which rows to fix (the details listed below it). */
function refusedRows(rows: number[]): string {
  const numbered = rows.filter((r) => r > 0);
  if (numbered.length === 0) return 'Nothing was printed: the file itself was refused.';
  const which = numbered.length === 1 ? `row ${numbered[0]}` : `rows ${numbered.join(', ')}`;
  return `Nothing was printed. Correct ${which} (the header is row 1) and send the file again.`;
}

import { DocumentTypeSelect } from '../ui/document-type-select';
import { ScreenTitle } from '../ui/screen-title';
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { Link } from 'react-router';
import { api, expectOk } from '../api/client';
import { ApiError } from '../api/problem';
import { EMPTY_FIELDS, manifestRows, missingFields, type RecordFields } from '../upload/fields';
import { sendUpload } from '../upload/send-upload';
import { UploadNav } from '../ui/upload-nav';

type Progress =
  | { state: 'ready' }
  | { state: 'uploading'; fraction: number }
  | { state: 'ocr'; recordId: string; ocr: 'pending' | 'done' | 'failed' }
  | { state: 'refused'; message: string; duplicateOf?: string };

interface Item {
  key: string;
  file: File;
  fields: RecordFields;
  progress: Progress;
}

const ACCEPT = '.pdf,.tif,.tiff,.png,.jpg,.jpeg,application/pdf,image/tiff,image/png,image/jpeg';
const AT_ONCE = 2;
let nextKey = 0;

/** Scanning clerks: many files at once, each with its patient and document, uploaded with progress, then watched until its text is recognised. */
export function UploadScreen() {
  const [items, setItems] = useState<Item[]>([]);
  const [manifestNote, setManifestNote] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const abort = useRef(new AbortController());
  const busy = sending || items.some((i) => i.progress.state === 'uploading');

  // Leaving while files are being sent would lose them: the browser asks first.
  useEffect(() => {
    if (!busy) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [busy]);
  useEffect(() => () => abort.current.abort(), []);

  const update = (key: string, change: Partial<Item> | ((item: Item) => Partial<Item>)) =>
    setItems((all) => all.map((i) => (i.key === key ? { ...i, ...(typeof change === 'function' ? change(i) : change) } : i)));

  function add(files: FileList | File[]) {
    const added = [...files].map((file) => ({ key: String(nextKey++), file, fields: { ...EMPTY_FIELDS }, progress: { state: 'ready' as const } }));
    setItems((all) => [...all, ...added]);
  }

  function drop(event: DragEvent) {
    event.preventDefault();
    add(event.dataTransfer.files);
  }

  async function importManifest(file: File) {
    const rows = manifestRows(await file.text());
    let matched = 0;
    setItems((all) =>
      all.map((i) => {
        const row = rows.get(i.file.name);
        if (!row) return i;
        matched++;
        return { ...i, fields: { ...i.fields, ...row } };
      }),
    );
    setManifestNote(`The manifest has ${rows.size} rows; ${matched} matched a file by name.`);
  }

  function applyToAll() {
    const [first] = items;
    if (!first) return;
    setItems((all) => all.map((i) => (i.progress.state === 'ready' ? { ...i, fields: { ...first.fields } } : i)));
  }

  async function uploadAll() {
    const ready = items.filter((i) => i.progress.state === 'ready');
    const incomplete = ready.filter((i) => missingFields(i.fields).length > 0);
    if (incomplete.length > 0) {
      setFormError(incomplete.map((i) => `${i.file.name}: ${missingFields(i.fields).join(', ')} missing`).join('. ') + '.');
      return;
    }
    setFormError(null);
    setSending(true);
    const queue = [...ready];
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) await uploadOne(item);
    };
    await Promise.all(Array.from({ length: AT_ONCE }, worker));
    setSending(false);
  }

  async function uploadOne(item: Item) {
    update(item.key, { progress: { state: 'uploading', fraction: 0 } });
    try {
      const created = await sendUpload(
        item.file,
        item.fields,
        (fraction) => update(item.key, { progress: { state: 'uploading', fraction } }),
        abort.current.signal,
      );
      update(item.key, { progress: { state: 'ocr', recordId: created.id, ocr: 'pending' } });
      void watchOcr(item.key, created.id);
    } catch (error) {
      const problem = error instanceof ApiError ? error.problem : undefined;
      const duplicateOf = typeof problem?.duplicateOf === 'string' ? problem.duplicateOf : undefined;
      update(item.key, { progress: { state: 'refused', message: error instanceof Error ? error.message : String(error), duplicateOf } });
    }
  }

  async function watchOcr(key: string, recordId: string) {
    for (let delay = 1000; !abort.current.signal.aborted; delay = Math.min(5000, delay * 1.3)) {
      await new Promise((r) => setTimeout(r, delay));
      try {
        const status = await expectOk(api.GET('/api/records/{id}/status', { params: { path: { id: recordId } } }));
        const ocr = status.versions[0].ocr.status;
        update(key, { progress: { state: 'ocr', recordId, ocr } });
        if (ocr !== 'pending') return;
      } catch {
        // A transient failure: keep watching.
      }
    }
  }

  return (
    <section aria-labelledby="upload-title">
      <ScreenTitle id="upload-title">Upload scans</ScreenTitle>
      <UploadNav />
      <div className="drop-zone" onDragOver={(e) => e.preventDefault()} onDrop={drop}>
        <label htmlFor="files">Files</label>
        <input id="files" type="file" multiple accept={ACCEPT} onChange={(e) => e.target.files && add(e.target.files)} aria-describedby="files-help" />
        <p id="files-help" className="help">
          PDF, TIFF (several pages), PNG or JPEG. Drop files here or choose them.
        </p>
      </div>
      {items.length > 0 && (
        <div className="toolbar">
          <label htmlFor="manifest">Manifest CSV</label>
          <input id="manifest" type="file" accept=".csv,text/csv" onChange={(e) => e.target.files?.[0] && void importManifest(e.target.files[0])} />
          <button type="button" onClick={applyToAll} disabled={items.length < 2}>
            Apply to all
          </button>
        </div>
      )}
      {manifestNote && <p role="status">{manifestNote}</p>}
      <ol className="uploads">
        {items.map((item, index) => (
          <UploadItem
            key={item.key}
            item={item}
            index={index}
            onChange={(fields) => update(item.key, { fields })}
            onRemove={() => setItems((all) => all.filter((i) => i.key !== item.key))}
          />
        ))}
      </ol>
      {formError && (
        <p className="error" role="alert">
          {formError}
        </p>
      )}
      {items.length > 0 && (
        <button type="button" onClick={() => void uploadAll()} disabled={sending || !items.some((i) => i.progress.state === 'ready')}>
          Upload
        </button>
      )}
    </section>
  );
}

function UploadItem({ item, index, onChange, onRemove }: { item: Item; index: number; onChange: (f: RecordFields) => void; onRemove: () => void }) {
  const id = (field: string) => `upload-${item.key}-${field}`;
  const editable = item.progress.state === 'ready';
  const set = (field: keyof RecordFields) => (e: { target: { value: string } }) => onChange({ ...item.fields, [field]: e.target.value });
  return (
    <li className="upload-item">
      <fieldset disabled={!editable}>
        <legend>
          File {index + 1}: {item.file.name} ({formatSize(item.file.size)})
        </legend>
        <div className="grid">
          <div>
            <label htmlFor={id('mrn')}>MRN</label>
            <input id={id('mrn')} value={item.fields.mrn} onChange={set('mrn')} required />
          </div>
          <div>
            <label htmlFor={id('patientName')}>Patient name</label>
            <input id={id('patientName')} value={item.fields.patientName} onChange={set('patientName')} required />
          </div>
          <div>
            <label htmlFor={id('dateOfBirth')}>Date of birth</label>
            <input id={id('dateOfBirth')} type="date" value={item.fields.dateOfBirth} onChange={set('dateOfBirth')} required />
          </div>
          <div>
            <DocumentTypeSelect
              id={id('documentType')}
              value={item.fields.documentType}
              onChange={(value) => onChange({ ...item.fields, documentType: value })}
              empty="Choose…"
              required
            />
          </div>
          <div>
            <label htmlFor={id('title')}>Title</label>
            <input id={id('title')} value={item.fields.title} onChange={set('title')} required />
          </div>
          <div>
            <label htmlFor={id('encounterDate')}>Encounter date</label>
            <input id={id('encounterDate')} type="date" value={item.fields.encounterDate} onChange={set('encounterDate')} />
          </div>
        </div>
      </fieldset>
      <div className="upload-status" aria-live="polite">
        <Status progress={item.progress} name={item.file.name} />
      </div>
      {editable && (
        <button type="button" className="link" onClick={onRemove}>
          Remove {item.file.name}
        </button>
      )}
    </li>
  );
}

function Status({ progress, name }: { progress: Progress; name: string }) {
  switch (progress.state) {
    case 'ready':
      return null;
    case 'uploading':
      return (
        <>
          <label htmlFor={`progress-${name}`}>Uploading {name}</label>{' '}
          <progress id={`progress-${name}`} max={1} value={progress.fraction}>
            {Math.round(progress.fraction * 100)}%
          </progress>
        </>
      );
    case 'ocr':
      return (
        <span className={`status ocr-${progress.ocr}`}>
          {progress.ocr === 'done'
            ? 'OCR done'
            : progress.ocr === 'failed'
              ? 'OCR failed: the scan is stored; its text could not be recognised'
              : 'Stored; OCR pending'}
          {' — '}
          <Link to={`/records/${progress.recordId}`}>open the record</Link>
        </span>
      );
    case 'refused':
      return (
        <span className="status refused" role="alert">
          Refused: {progress.message}
          {progress.duplicateOf && (
            <>
              {' '}
              <Link to={`/records/${progress.duplicateOf}`}>See the existing record</Link>
            </>
          )}
        </span>
      );
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

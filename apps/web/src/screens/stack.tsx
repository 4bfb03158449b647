import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { api, expectOk } from '../api/client';
import type { StackView } from '../api/types';
import { sendStack } from '../upload/send-stack';
import { sha256Hex } from '../upload/sha256';
import { ErrorMessage } from '../ui/error-message';
import { formatDate, pageRangeLabel, REVIEW_ACTIONS, REVIEW_STATUSES, reviewKindLabel } from '../ui/labels';
import { ScreenTitle } from '../ui/screen-title';
import { UploadNav } from '../ui/upload-nav';

const ACCEPT = '.pdf,.tif,.tiff,application/pdf,image/tiff';

type Sending = { state: 'idle' } | { state: 'hashing' } | { state: 'sending'; fraction: number } | { state: 'failed'; error: unknown };

/**
 * A scanner's stack: one PDF or multi-page TIFF sent whole, then followed live while medrec splits
 * it at its cover sheets into records (`/upload/stacks/:id`, so the page can be reloaded or shared).
 */
export function StackScreen() {
  const { id } = useParams();
  const navigate = useNavigate();
  const [file, setFile] = useState<File | null>(null);
  const [sending, setSending] = useState<Sending>({ state: 'idle' });
  // Said once, after a send that the server answered 200 (it had the file already).
  const again = (useLocation().state as { again?: boolean } | null)?.again === true;
  const input = useRef<HTMLInputElement>(null);
  const abort = useRef(new AbortController());
  const busy = sending.state === 'hashing' || sending.state === 'sending';

  useEffect(() => {
    if (!busy) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [busy]);
  useEffect(() => () => abort.current.abort(), []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    try {
      setSending({ state: 'hashing' });
      const key = await sha256Hex(file);
      setSending({ state: 'sending', fraction: 0 });
      const sent = await sendStack(file, key, (fraction) => setSending({ state: 'sending', fraction }), abort.current.signal);
      setSending({ state: 'idle' });
      setFile(null);
      if (input.current) input.current.value = '';
      void navigate(`/upload/stacks/${sent.stackId}`, { state: { again: sent.again } });
    } catch (error) {
      setSending({ state: 'failed', error });
    }
  }

  return (
    <section aria-labelledby="stack-title">
      <ScreenTitle id="stack-title">Upload a stack</ScreenTitle>
      <UploadNav />
      <form onSubmit={(e) => void submit(e)} className="card" aria-labelledby="stack-form-title">
        <h2 id="stack-form-title">Send a scanner&apos;s stack</h2>
        <label htmlFor="stack-file">Stack (PDF or multi-page TIFF)</label>
        <input
          id="stack-file"
          ref={input}
          type="file"
          accept={ACCEPT}
          required
          aria-describedby="stack-file-help"
          disabled={busy}
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setSending({ state: 'idle' });
          }}
        />
        <p id="stack-file-help" className="help">
          The file the scanner wrote for the whole pile, cover sheets included. Sending the same file again is safe: it names the same stack.
        </p>
        {sending.state === 'failed' && (
          <div className="error" role="alert">
            <p>The stack was refused: {sending.error instanceof Error ? sending.error.message : 'something went wrong.'}</p>
          </div>
        )}
        <button type="submit" disabled={!file || busy}>
          Send the stack
        </button>
        <div aria-live="polite">
          {sending.state === 'hashing' && <p>Computing the file&apos;s fingerprint (SHA-256)…</p>}
          {sending.state === 'sending' && (
            <p>
              <label htmlFor="stack-progress">Sending the stack</label>{' '}
              <progress id="stack-progress" max={1} value={sending.fraction}>
                {Math.round(sending.fraction * 100)}%
              </progress>
            </p>
          )}
        </div>
      </form>
      {id && <StackProgress key={id} stackId={id} again={again} />}
    </section>
  );
}

const STATUS: Record<StackView['status'], string> = {
  received: 'Received: waiting to be split',
  splitting: 'Being split: reading the cover sheets',
  split: 'Split',
  failed: 'The split failed',
};

/** `GET /api/stacks/:id`, read again while the stack is split and while its review items stay open. */
function StackProgress({ stackId, again }: { stackId: string; again: boolean }) {
  const stack = useQuery({
    queryKey: ['stack', stackId],
    queryFn: () => expectOk(api.GET('/api/stacks/{id}', { params: { path: { id: stackId } } })),
    refetchInterval: (query) => {
      const s = query.state.data;
      if (!s || s.status === 'received' || s.status === 'splitting' || s.documents.some((d) => !d.filed)) return 1000;
      if (s.status === 'failed' || s.paperMayBeDestroyed) return false;
      // Items are resolved on the review screen, maybe by someone else: look again now and then.
      return 5000;
    },
  });
  const s = stack.data;
  return (
    <section aria-labelledby="stack-progress-title" className="queue">
      <h2 id="stack-progress-title">
        Stack <code>{stackId}</code>
      </h2>
      <ErrorMessage error={stack.error} />
      {stack.isPending && <p>Loading the stack…</p>}
      {s && (
        <>
          <div role="status">
            <p>
              {again && 'This file was sent before: this is its stack, nothing new was made. '}
              {STATUS[s.status]}
              {s.status === 'failed' && s.failure ? `: ${s.failure}` : ''}.
            </p>
          </div>
          <dl className="facts">
            <div>
              <dt>Pages</dt>
              <dd>{s.pages}</dd>
            </div>
            <div>
              <dt>Received</dt>
              <dd>
                {formatDate(s.receivedAt)} by {s.receivedBy}
              </dd>
            </div>
            <div>
              <dt>Cover and separator sheets</dt>
              <dd>{s.sheets.length === 0 ? 'none read' : stackPages(s.sheets)}</dd>
            </div>
            <div>
              <dt>Blank pages</dt>
              <dd>{s.blankPages.length === 0 ? 'none' : stackPages(s.blankPages)}</dd>
            </div>
            <div>
              <dt>Pages accounted for</dt>
              <dd>
                {s.pagesAccountedFor} of {s.pages}
              </dd>
            </div>
          </dl>
          <Paper stack={s} />
          <h3 id="stack-documents-title">Documents</h3>
          {s.documents.length === 0 ? (
            <p>{s.status === 'split' ? 'No document: no page was behind a good cover sheet.' : 'None yet.'}</p>
          ) : (
            <table aria-labelledby="stack-documents-title">
              <thead>
                <tr>
                  <th scope="col">Record</th>
                  <th scope="col">Stack pages</th>
                  <th scope="col">Cover sheet</th>
                  <th scope="col">Part</th>
                  <th scope="col">Filed</th>
                </tr>
              </thead>
              <tbody>
                {s.documents.map((d) => (
                  <tr key={d.recordId}>
                    <td>
                      {d.filed ? (
                        <Link to={`/records/${d.recordId}`}>
                          <code>{d.recordId}</code>
                        </Link>
                      ) : (
                        <code>{d.recordId}</code>
                      )}
                    </td>
                    <td>{d.pages.join(', ')}</td>
                    <td>
                      <code>{d.coverSheetId}</code>
                    </td>
                    <td>{d.part}</td>
                    <td>{d.filed ? 'Filed' : 'Being filed'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3 id="stack-review-title">Pages sent to review</h3>
          {s.reviewItems.length === 0 ? (
            <p>{s.status === 'split' ? 'None: every page went into a record or was a sheet.' : 'None yet.'}</p>
          ) : (
            <>
              <table aria-labelledby="stack-review-title">
                <thead>
                  <tr>
                    <th scope="col">Why</th>
                    <th scope="col">Stack pages</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {s.reviewItems.map((item) => (
                    <tr key={item.id}>
                      <td>{reviewKindLabel(item.kind)}</td>
                      <td>{pageRangeLabel(item.pageRange)}</td>
                      <td>
                        {REVIEW_STATUSES[item.status] ?? item.status}
                        {item.action && item.status === 'resolved' ? ` (${REVIEW_ACTIONS[item.action].toLowerCase()})` : ''}
                        {item.recordId && (
                          <>
                            {' '}
                            to{' '}
                            <Link to={`/records/${item.recordId}`}>
                              <code>{item.recordId}</code>
                            </Link>
                          </>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {s.reviewItemsOpen > 0 && (
                <p>
                  <Link to="/review">Resolve them in the review queue</Link>
                </p>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}

/** Whether the paper may go: only once every page is in a record, a sheet, or a resolved review item. */
function Paper({ stack }: { stack: StackView }) {
  if (stack.paperMayBeDestroyed)
    return (
      <p className="paper destroy">
        The paper may be destroyed: every page is in a record, a sheet, or a resolved review item
        {stack.originalKept ? '.' : ', and the stored scan of the stack is deleted.'}
      </p>
    );
  const why =
    stack.status === 'failed'
      ? 'the split failed'
      : stack.status !== 'split'
        ? 'the stack is not split yet'
        : stack.reviewItemsOpen > 0
          ? `${stack.reviewItemsOpen === 1 ? '1 review item is' : `${stack.reviewItemsOpen} review items are`} still open`
          : 'not every page is accounted for yet';
  return <p className="paper keep">Keep the paper: {why}.</p>;
}

const stackPages = (pages: number[]): string => `${pages.length === 1 ? 'page' : 'pages'} ${pages.join(', ')}`;

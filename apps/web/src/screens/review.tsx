import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useAfter } from '../api/after';
import { api, expectOk } from '../api/client';
import { ApiError } from '../api/problem';
import type { ResolveReviewItem, ResolvedReviewItem, ReviewItem, ReviewKind, ReviewStatus } from '../api/types';
import { useSession } from '../session/session';
import { Confirm } from '../ui/confirm';
import { ErrorMessage } from '../ui/error-message';
import { useFocusOnMount } from '../ui/focus';
import { formatDate, pageRangeLabel, REVIEW_ACTIONS, REVIEW_KINDS, REVIEW_STATUSES, reviewKindLabel } from '../ui/labels';
import { ScreenTitle } from '../ui/screen-title';
import { IdField, isUuid } from '../ui/id-field';

const PAGE_SIZE = 25;
const STATUSES: ReviewStatus[] = ['open', 'awaiting-rescan', 'resolved'];

/** What a clerk decided, before it is sent: the item and the action (assign names its target). */
type Decision = { item: ReviewItem } & ({ action: 'accept' | 'rescan' } | { action: 'assign'; target: 'record' | 'cover-sheet'; id: string });

/**
 * The quality-review queue: pages that need a person before the paper is trusted (blank, hard to
 * read, skewed, too dark; stack pages without a good cover sheet). Each is accepted, sent to
 * rescan, or assigned to a record or a cover sheet, confirmed in words first. The URL holds the filters.
 */
export function ReviewScreen() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const status = (STATUSES as string[]).includes(params.get('status') ?? '') ? (params.get('status') as ReviewStatus) : 'open';
  const kind = params.get('kind') && params.get('kind')! in REVIEW_KINDS ? (params.get('kind') as ReviewKind) : undefined;
  const [draft, setDraft] = useState({ status, kind: kind ?? '' });
  const written = useAfter();
  const queryClient = useQueryClient();
  const [assigning, setAssigning] = useState<ReviewItem | null>(null);
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const list = useInfiniteQuery({
    queryKey: ['review', status, kind, written.after],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      expectOk(
        api.GET('/api/review', {
          params: { query: { status, ...(kind ? { kind } : {}), limit: PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}), ...written.query } },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: written.placeholderData,
  });

  const resolve = useMutation({
    mutationFn: (decision: Decision) => {
      const body: ResolveReviewItem =
        decision.action === 'assign'
          ? { action: 'assign', ...(decision.target === 'record' ? { recordId: decision.id } : { coverSheetId: decision.id }) }
          : { action: decision.action };
      return expectOk(api.POST('/api/review/{itemId}/resolve', { params: { path: { itemId: decision.item.id } }, body }));
    },
    onSuccess: (answer, decision) => {
      setDeciding(null);
      setAssigning(null);
      setDone(resolvedInWords(answer, decision));
      written.reached(answer.position);
      void queryClient.invalidateQueries({ queryKey: ['stack'] });
    },
    // 409: someone resolved it meanwhile (or it already waits for a rescan): the dialog says so in
    // words and the list is read again, so the row shows what happened.
    onError: (error) => {
      if (error instanceof ApiError && error.status === 409) void list.refetch();
    },
  });

  function decide(decision: Decision) {
    resolve.reset();
    setDone(null);
    setDeciding(decision);
  }

  function filter(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    if (draft.status !== 'open') next.set('status', draft.status);
    if (draft.kind) next.set('kind', draft.kind);
    setParams(next);
  }

  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  // After a 409 there is nothing left to confirm: the dialog only says why.
  const conflict = resolve.error instanceof ApiError && resolve.error.status === 409;
  const actions = can('review.resolve') && status !== 'resolved';
  return (
    <section aria-labelledby="review-title" className="queue">
      <ScreenTitle id="review-title">Review queue</ScreenTitle>
      <p className="help">
        Pages that need a person before the paper is trusted. A stack&apos;s paper may be destroyed only once all of its items are resolved.
      </p>
      <form onSubmit={filter} className="inline-form" aria-label="Filters">
        <div>
          <label htmlFor="review-status">Status</label>
          <select id="review-status" value={draft.status} onChange={(e) => setDraft((d) => ({ ...d, status: e.target.value as ReviewStatus }))}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {REVIEW_STATUSES[s]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="review-kind">Why</label>
          <select id="review-kind" value={draft.kind} onChange={(e) => setDraft((d) => ({ ...d, kind: e.target.value }))}>
            <option value="">Any reason</option>
            {Object.entries(REVIEW_KINDS).map(([code, label]) => (
              <option key={code} value={code}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>
      <div role="status">{done && <p>{done}</p>}</div>
      <ErrorMessage error={list.error} />
      {list.isPending && <p>Loading the queue…</p>}
      {list.isSuccess && items.length === 0 && (
        <p>
          No {REVIEW_STATUSES[status].toLowerCase()} item{kind ? ` of this kind` : ''}.
        </p>
      )}
      {items.length > 0 && (
        <table aria-label={`Review items: ${REVIEW_STATUSES[status].toLowerCase()}`}>
          <thead>
            <tr>
              <th scope="col">Why</th>
              <th scope="col">Pages</th>
              <th scope="col">Opened</th>
              <th scope="col">{status === 'open' ? 'Measured' : 'Last action'}</th>
              {actions && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id} aria-current={assigning?.id === item.id ? 'true' : undefined}>
                <td>{reviewKindLabel(item.kind)}</td>
                <td>
                  <Where item={item} />
                </td>
                <td className="nowrap">{formatDate(item.openedAt)}</td>
                <td>{status === 'open' ? measured(item) : <Resolution item={item} />}</td>
                {actions && (
                  <td className="actions">
                    <button type="button" onClick={() => decide({ item, action: 'accept' })} aria-label={`Accept… ${describe(item)}`}>
                      Accept…
                    </button>{' '}
                    {item.status === 'open' && (
                      <button type="button" onClick={() => decide({ item, action: 'rescan' })} aria-label={`Rescan… ${describe(item)}`}>
                        Rescan…
                      </button>
                    )}{' '}
                    <button
                      type="button"
                      onClick={() => {
                        setDone(null);
                        setAssigning(item);
                      }}
                      aria-label={`Assign… ${describe(item)}`}
                    >
                      Assign…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.hasNextPage && (
        <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'More items'}
        </button>
      )}
      {assigning && (
        <AssignForm
          key={assigning.id}
          item={assigning}
          onAssign={(target, id) => decide({ item: assigning, action: 'assign', target, id })}
          onCancel={() => setAssigning(null)}
        />
      )}
      <Confirm
        open={deciding !== null}
        title={deciding ? TITLES[deciding.action] : ''}
        confirmLabel={deciding ? CONFIRM[deciding.action] : ''}
        busy={resolve.isPending || conflict}
        onConfirm={() => deciding && resolve.mutate(deciding)}
        onCancel={() => {
          setDeciding(null);
          resolve.reset();
        }}
      >
        {deciding && <p>{consequence(deciding)}</p>}
        {deciding && <p>It is recorded in your name{deciding.action === 'rescan' ? '' : ' and cannot be undone'}.</p>}
        <ErrorMessage error={resolve.error} />
        {conflict && <p>Nothing was changed. The list is read again to show the item as it is now.</p>}
      </Confirm>
    </section>
  );
}

const TITLES: Record<Decision['action'], string> = {
  accept: 'Accept the page(s) as they are?',
  rescan: 'Send the page(s) to rescan?',
  assign: 'Assign the page(s)?',
};
const CONFIRM: Record<Decision['action'], string> = { accept: 'Accept', rescan: 'Send to rescan', assign: 'Assign' };

/** Where the pages are, with a link to their record or stack. */
function Where({ item }: { item: ReviewItem }) {
  if (item.stackId && item.pageRange)
    return (
      <>
        Stack {pageRangeLabel(item.pageRange)}:{' '}
        <Link to={`/upload/stacks/${item.stackId}`} aria-label={`Stack ${item.stackId}`}>
          <code>{item.stackId.slice(0, 8)}</code>
        </Link>
      </>
    );
  if (item.recordId)
    return (
      <>
        Page {item.page} of version {item.version}:{' '}
        <Link to={`/records/${item.recordId}?version=${item.version}${item.page ? `&page=${item.page}` : ''}`} aria-label={`Record ${item.recordId}`}>
          <code>{item.recordId.slice(0, 8)}</code>
        </Link>
      </>
    );
  return <>—</>;
}

function Resolution({ item }: { item: ReviewItem }) {
  const r = item.resolution;
  if (!r) return <>—</>;
  return (
    <>
      {REVIEW_ACTIONS[r.action]} by {r.by}, {formatDate(r.at)}
      {r.recordId && (
        <>
          {' '}
          to{' '}
          <Link to={`/records/${r.recordId}`}>
            <code>{r.recordId.slice(0, 8)}</code>
          </Link>
          {r.version ? ` (version ${r.version})` : ''}
        </>
      )}
      {r.coverSheetId && (
        <>
          {' '}
          with the cover sheet <code>{r.coverSheetId.slice(0, 8)}</code>
        </>
      )}
    </>
  );
}

/** The pages of an item in words, for button names and dialogs. */
function describe(item: ReviewItem): string {
  if (item.stackId && item.pageRange) return `${reviewKindLabel(item.kind).toLowerCase()}, stack ${pageRangeLabel(item.pageRange)}`;
  return `${reviewKindLabel(item.kind).toLowerCase()}, page ${item.page} of version ${item.version} of the record ${item.recordId}`;
}

function measured(item: ReviewItem): string {
  const m = item.measure;
  const parts: string[] = [];
  if (typeof m.confidence === 'number') parts.push(`OCR confidence ${Math.round(m.confidence)}%`);
  if (typeof m.skewDegrees === 'number') parts.push(`turned ${Math.abs(m.skewDegrees).toFixed(1)}°`);
  if (typeof m.paperLevel === 'number') parts.push(`paper grey level ${Math.round(m.paperLevel)} of 255`);
  if (typeof m.inkRatio === 'number') parts.push(`ink ${(m.inkRatio * 100).toFixed(2)}% of the page`);
  if (typeof m.sheetPage === 'number') parts.push(`code on stack page ${m.sheetPage}`);
  return parts.length > 0 ? parts.join(', ') : '—';
}

/** What the action will do, said before it is done. */
function consequence(d: Decision): string {
  const stack = d.item.stackId !== null && d.item.pageRange !== null;
  const one = !stack || d.item.pageRange!.first === d.item.pageRange!.last;
  const pages = stack
    ? `Stack ${pageRangeLabel(d.item.pageRange!)} (${reviewKindLabel(d.item.kind).toLowerCase()})`
    : `Page ${d.item.page} of version ${d.item.version} of the record ${d.item.recordId}`;
  switch (d.action) {
    case 'accept':
      if (stack)
        return `${pages} will be discarded: ${one ? 'it goes' : 'they go'} into no record. Once every item of the stack is resolved, its stored scan is deleted and the paper may be destroyed.`;
      return `${pages} is kept as it is${d.item.kind === 'blank-page' ? ', left out of the record’s text and search' : ''}. The item is resolved.`;
    case 'rescan':
      return `${pages} must be scanned again: the item stays in the queue, awaiting the rescan, and can then be accepted or assigned. ${stack ? 'The paper must be kept until then.' : ''}`.trim();
    case 'assign':
      return d.target === 'record'
        ? `${pages} will become a new version (late entry) of the record ${d.id}, recognised (OCR) like any amendment. ${stack ? '' : 'The source record stays as it is.'}`.trim()
        : `${pages} will become a new record with the details of the cover sheet ${d.id}, which is then used and can file nothing else.`;
  }
}

function resolvedInWords(answer: ResolvedReviewItem, d: Decision): string {
  if (answer.status === 'awaiting-rescan') return `${describe(d.item)}: awaiting a rescan.`;
  // The answer names no record for a cover sheet's assignment: the sheet itself says which (GET /api/cover-sheets/:id).
  if (answer.action === 'assign' && d.action === 'assign' && d.target === 'cover-sheet')
    return `${describe(d.item)}: filed as a new record with the details of the cover sheet ${d.id}${answer.recordId ? ` (${answer.recordId})` : ''}.`;
  if (answer.action === 'assign' && answer.recordId)
    return `${describe(d.item)}: assigned to the record ${answer.recordId}${answer.version ? `, version ${answer.version}` : ''}.`;
  return `${describe(d.item)}: accepted.`;
}

/** Assign: to a record (a new version of it) or to a cover sheet (a new record), by its id. */
function AssignForm({
  item,
  onAssign,
  onCancel,
}: {
  item: ReviewItem;
  onAssign: (target: 'record' | 'cover-sheet', id: string) => void;
  onCancel: () => void;
}) {
  const [target, setTarget] = useState<'record' | 'cover-sheet'>('record');
  const [id, setId] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const field = useFocusOnMount<HTMLInputElement>();

  function submit(event: FormEvent) {
    event.preventDefault();
    const value = id.trim().toLowerCase();
    if (!isUuid(value))
      return setInvalid(`The ${target === 'record' ? 'record' : 'cover sheet'} id is a UUID of 36 characters, such as 3f2b8c1e-9d4a-4c1e-8f7a-2b6d9e0c5a41.`);
    setInvalid(null);
    onAssign(target, value);
  }

  return (
    <form onSubmit={submit} className="card" aria-labelledby="assign-title">
      <h2 id="assign-title">Assign {describe(item)}</h2>
      <fieldset>
        <legend>To</legend>
        <label className="checkbox">
          <input type="radio" name="assign-target" checked={target === 'record'} onChange={() => setTarget('record')} /> A record (a new version of it)
        </label>
        <label className="checkbox">
          <input type="radio" name="assign-target" checked={target === 'cover-sheet'} onChange={() => setTarget('cover-sheet')} /> A cover sheet (a new record
          with its details)
        </label>
      </fieldset>
      <IdField id="assign-id" label={target === 'record' ? 'Record id' : 'Cover sheet id'} value={id} onChange={setId} error={invalid} ref={field} />
      <div className="toolbar">
        <button type="submit">Assign…</button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

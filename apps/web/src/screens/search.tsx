import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, expectOk, purposeHeader } from '../api/client';
import type { SearchHit } from '../api/types';
import { ScreenTitle } from '../ui/screen-title';
import { DocumentTypeSelect } from '../ui/document-type-select';
import { ErrorMessage } from '../ui/error-message';
import { documentTypeLabel, formatDate } from '../ui/labels';
import { Snippet } from '../ui/snippet';

const FILTERS = ['q', 'mrn', 'documentType', 'from', 'to'] as const;
type Filter = (typeof FILTERS)[number];

/** Search: the URL holds the query, so a search can be shared and reloaded. */
export function SearchScreen() {
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<Filter, string>;
  const [draft, setDraft] = useState(applied);
  const hasQuery = FILTERS.some((f) => applied[f] !== '');

  const results = useInfiniteQuery({
    queryKey: ['search', applied],
    enabled: hasQuery,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      expectOk(
        api.GET('/api/search', {
          params: {
            header: purposeHeader(),
            query: {
              ...(applied.q ? { q: applied.q } : {}),
              ...(applied.mrn ? { mrn: applied.mrn } : {}),
              ...(applied.documentType ? { documentType: applied.documentType as never } : {}),
              ...(applied.from ? { from: applied.from } : {}),
              ...(applied.to ? { to: applied.to } : {}),
              limit: 20,
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const f of FILTERS) if (draft[f].trim() !== '') next.set(f, draft[f].trim());
    setParams(next);
  }

  const set = (f: Filter) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [f]: e.target.value }));
  const hits = results.data?.pages.flatMap((p) => p.results) ?? [];

  return (
    <section aria-labelledby="search-title">
      <ScreenTitle id="search-title">Search</ScreenTitle>
      <form role="search" onSubmit={submit} className="search-form">
        <div className="search-box">
          <label htmlFor="q">Search records</label>
          <input id="q" type="search" value={draft.q} onChange={set('q')} placeholder='words, "a phrase", prefix*' />
          <button type="submit">Search</button>
        </div>
        <fieldset className="filters">
          <legend>Filters</legend>
          <div>
            <label htmlFor="mrn">MRN</label>
            <input id="mrn" value={draft.mrn} onChange={set('mrn')} />
          </div>
          <div>
            <DocumentTypeSelect
              id="documentType"
              value={draft.documentType}
              onChange={(value) => setDraft((d) => ({ ...d, documentType: value }))}
              empty="Any"
            />
          </div>
          <div>
            <label htmlFor="from">From</label>
            <input id="from" type="date" value={draft.from} onChange={set('from')} />
          </div>
          <div>
            <label htmlFor="to">To</label>
            <input id="to" type="date" value={draft.to} onChange={set('to')} />
          </div>
        </fieldset>
      </form>
      <ErrorMessage error={results.error} />
      <div aria-live="polite" className="result-count">
        {hasQuery && results.isSuccess && (hits.length === 0 ? 'No records found.' : `${hits.length}${results.hasNextPage ? '+' : ''} results`)}
        {results.isFetching && !results.isFetchingNextPage && 'Searching…'}
      </div>
      {hits.length > 0 && (
        <ol className="results" aria-label="Search results">
          {hits.map((hit) => (
            <Result key={`${hit.recordId}:${hit.version}:${hit.page}`} hit={hit} query={applied.q} />
          ))}
        </ol>
      )}
      {results.hasNextPage && (
        <button type="button" onClick={() => void results.fetchNextPage()} disabled={results.isFetchingNextPage}>
          {results.isFetchingNextPage ? 'Loading…' : 'More results'}
        </button>
      )}
    </section>
  );
}

function Result({ hit, query }: { hit: SearchHit; query: string }) {
  const target = new URLSearchParams({ version: String(hit.version), ...(hit.page ? { page: String(hit.page) } : {}), ...(query ? { q: query } : {}) });
  return (
    <li className="result">
      <Link to={`/records/${hit.recordId}?${target.toString()}`} state={{ snippet: hit.snippet }}>
        {hit.title}
      </Link>
      <dl className="facts">
        <div>
          <dt>Patient</dt>
          <dd>{hit.patientName}</dd>
        </div>
        <div>
          <dt>MRN</dt>
          <dd>{hit.mrn}</dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>{documentTypeLabel(hit.documentType)}</dd>
        </div>
        <div>
          <dt>Date</dt>
          <dd>{formatDate(hit.date)}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>{hit.version}</dd>
        </div>
        {hit.page !== null && (
          <div>
            <dt>Page</dt>
            <dd>{hit.page}</dd>
          </div>
        )}
      </dl>
      {hit.snippet && <Snippet html={hit.snippet} />}
    </li>
  );
}

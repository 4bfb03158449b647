import { type Decider, unhandled } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { Actor } from '../shared/roles';
import { atMost, CALENDAR_DATE_RULE, isCalendarDate, isText, Validator } from '../shared/validation';
import { type DocumentType, isDocumentType } from '../record/document-type';
import { MAX_REASON } from '../record/record-limits';
import { DOCUMENT_TYPE_RULE } from '../retention/retention.decider';

/** Stream of one bulk archive batch (a process stream: record ids, a date and a document type, no PHI). */
export const archiveBatchStream = (batchId: string): string => `archive-batch-${batchId}`;

/** The reason given to each record's ArchiveRecord when the batch names none. */
export const defaultArchiveReason = (inactiveSince: string): string => `Bulk archive: no amendment or release since ${inactiveSince}`;

interface ArchiveBatchCommandBase {
  batchId: string;
  actor: Actor;
  /** ISO 8601 time the command was received. */
  at: string;
}

/** Starts a batch over the records found inactive since a day (the shell finds them in the archive read model). */
export interface StartArchiveBatch extends ArchiveBatchCommandBase {
  type: 'StartArchiveBatch';
  inactiveSince: string;
  documentType?: DocumentType;
  recordIds: string[];
}

/** Every record of the batch has been archived (or skipped: already archived, destroyed). */
export interface CompleteArchiveBatch extends ArchiveBatchCommandBase {
  type: 'CompleteArchiveBatch';
  /** The records this batch archived itself. */
  archived: string[];
}

export type ArchiveBatchCommand = StartArchiveBatch | CompleteArchiveBatch;

export interface ArchiveBatchStarted {
  type: 'ArchiveBatchStarted';
  data: { batchId: string; inactiveSince: string; documentType?: DocumentType; recordIds: string[]; startedBy: string; startedAt: string };
}

export interface ArchiveBatchCompleted {
  type: 'ArchiveBatchCompleted';
  data: { batchId: string; archived: string[]; completedBy: string; completedAt: string };
}

export type ArchiveBatchEvent = ArchiveBatchStarted | ArchiveBatchCompleted;

export type ArchiveBatchState =
  | { status: 'absent' }
  | {
      status: 'started' | 'completed';
      batchId: string;
      inactiveSince: string;
      documentType?: DocumentType;
      recordIds: string[];
      startedBy: string;
      startedAt: string;
      archived?: string[];
      completedBy?: string;
      completedAt?: string;
    };

/** The checks of a batch request, run by the shell before it looks anything up (400 before any work). */
export function validateArchiveBatch(c: { inactiveSince: unknown; documentType?: unknown; reason?: unknown }): void {
  new Validator()
    .check(isCalendarDate(c.inactiveSince), 'inactiveSince', `is required: ${CALENDAR_DATE_RULE}`)
    .check(c.documentType === undefined || isDocumentType(c.documentType), 'documentType', DOCUMENT_TYPE_RULE)
    .check(c.reason === undefined || isText(c.reason, MAX_REASON), 'reason', `must be non-blank text, ${atMost(MAX_REASON)}`)
    .throwIfInvalid();
}

export const archiveBatchDecider = {
  initialState: (): ArchiveBatchState => ({ status: 'absent' }),

  decide(command: ArchiveBatchCommand, state: ArchiveBatchState): ArchiveBatchEvent[] {
    switch (command.type) {
      case 'StartArchiveBatch':
        return [startArchiveBatch(command, state)];
      case 'CompleteArchiveBatch':
        return completeArchiveBatch(command, state);
      default:
        return unhandled(command, 'command');
    }
  },

  evolve(state: ArchiveBatchState, event: ArchiveBatchEvent): ArchiveBatchState {
    switch (event.type) {
      case 'ArchiveBatchStarted': {
        const d = event.data;
        return {
          status: 'started',
          batchId: d.batchId,
          inactiveSince: d.inactiveSince,
          ...(d.documentType !== undefined ? { documentType: d.documentType } : {}),
          recordIds: d.recordIds,
          startedBy: d.startedBy,
          startedAt: d.startedAt,
        };
      }
      case 'ArchiveBatchCompleted':
        if (state.status === 'absent') return state;
        return { ...state, status: 'completed', archived: event.data.archived, completedBy: event.data.completedBy, completedAt: event.data.completedAt };
      default:
        return unhandled(event, 'event');
    }
  },
} satisfies Decider<ArchiveBatchCommand, ArchiveBatchEvent, ArchiveBatchState>;

function startArchiveBatch(c: StartArchiveBatch, state: ArchiveBatchState): ArchiveBatchStarted {
  if (state.status !== 'absent') throw new DomainError('conflict', 'An archive batch with this id already exists');
  validateArchiveBatch(c);
  return {
    type: 'ArchiveBatchStarted',
    data: {
      batchId: c.batchId,
      inactiveSince: c.inactiveSince,
      ...(c.documentType !== undefined ? { documentType: c.documentType } : {}),
      recordIds: [...new Set(c.recordIds)],
      startedBy: c.actor.username,
      startedAt: c.at,
    },
  };
}

/** Completing a completed batch decides nothing: a resumed batch that had finished is simply answered again. */
function completeArchiveBatch(c: CompleteArchiveBatch, state: ArchiveBatchState): ArchiveBatchCompleted[] {
  if (state.status === 'absent') throw new DomainError('not-found', 'No such archive batch');
  if (state.status === 'completed') return [];
  const outside = c.archived.filter((id) => !state.recordIds.includes(id));
  if (outside.length > 0) throw new DomainError('conflict', 'Only records of the batch can be archived by it');
  return [
    { type: 'ArchiveBatchCompleted', data: { batchId: state.batchId, archived: [...new Set(c.archived)], completedBy: c.actor.username, completedAt: c.at } },
  ];
}

import { type Decider, unhandled } from '../shared/decider';
import { DOCUMENT_TYPES, type DocumentType, isDocumentType } from '../record/document-type';
import { isText, textRule, Validator } from '../shared/validation';

/** Every schedule change lives in one stream: a small, attributed history auditors ask for. */
export const RETENTION_SCHEDULES_STREAM = 'retention-schedules';

export const RETENTION_YEARS_MIN = 1;
export const RETENTION_YEARS_MAX = 100;
export const RETENTION_YEARS_RULE = `must be a whole number of years from ${RETENTION_YEARS_MIN} to ${RETENTION_YEARS_MAX}`;
export const MINORS_UNTIL_AGE_MIN = 18;
export const MINORS_UNTIL_AGE_MAX = 30;
export const MINORS_UNTIL_AGE_RULE = `must be a whole age from ${MINORS_UNTIL_AGE_MIN} to ${MINORS_UNTIL_AGE_MAX}`;
export const RETENTION_AUTHORITY_MAX_LENGTH = 300;
export const RETENTION_AUTHORITY_RULE = textRule(RETENTION_AUTHORITY_MAX_LENGTH);
export const DOCUMENT_TYPE_RULE = `must be one of ${DOCUMENT_TYPES.join(', ')}`;

export const isRetentionYears = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= RETENTION_YEARS_MIN && value <= RETENTION_YEARS_MAX;
export const isMinorsUntilAge = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= MINORS_UNTIL_AGE_MIN && value <= MINORS_UNTIL_AGE_MAX;
export const isRetentionAuthority = (value: unknown): value is string => isText(value, RETENTION_AUTHORITY_MAX_LENGTH);

/** A schedule change: from now on, records of this type are kept `years` after their last encounter. */
export interface RetentionScheduleChanged {
  type: 'RetentionScheduleChanged';
  data: {
    documentType: DocumentType;
    years: number;
    /** Patients who were minors at the last encounter: kept at least until this birthday. Absent: no minors' rule. */
    minorsUntilAge?: number;
    /** The law, regulation or policy the schedule follows (a citation, not PHI). */
    authority: string;
    changedBy: string;
    changedAt: string;
  };
}

export type RetentionEvent = RetentionScheduleChanged;

export interface ChangeRetentionSchedule {
  type: 'ChangeRetentionSchedule';
  documentType: string;
  years: unknown;
  minorsUntilAge?: unknown;
  authority: unknown;
  actor: string;
  at: string;
}

export type RetentionCommand = ChangeRetentionSchedule;

/** A schedule in force for one document type. `changedBy`/`changedAt` are null for the shipped defaults. */
export interface RetentionSchedule {
  documentType: DocumentType;
  years: number;
  minorsUntilAge?: number;
  authority: string;
  changedBy: string | null;
  changedAt: string | null;
}

export interface RetentionSchedulesState {
  /** The schedules changed at least once; the others are the defaults (`schedulesInForce`). */
  changed: ReadonlyMap<DocumentType, RetentionSchedule>;
}

export const DEFAULT_RETENTION_AUTHORITY = 'medrec default';
export const DEFAULT_RETENTION_YEARS = 10;
export const DEFAULT_MINORS_UNTIL_AGE = 21;
/** Document types kept for fewer years than the rest by default. */
export const SHORT_RETENTION: Partial<Record<DocumentType, number>> = { authorization: 6, correspondence: 6 };

/** The schedule shipped with the code for a document type. */
export function defaultSchedule(documentType: DocumentType): RetentionSchedule {
  return {
    documentType,
    years: SHORT_RETENTION[documentType] ?? DEFAULT_RETENTION_YEARS,
    minorsUntilAge: DEFAULT_MINORS_UNTIL_AGE,
    authority: DEFAULT_RETENTION_AUTHORITY,
    changedBy: null,
    changedAt: null,
  };
}

/** One schedule per document type, in DOCUMENT_TYPES order: the last change, else the default. */
export function schedulesInForce(state: RetentionSchedulesState): RetentionSchedule[] {
  return DOCUMENT_TYPES.map((type) => state.changed.get(type) ?? defaultSchedule(type));
}

export const retentionSchedulesDecider = {
  initialState: (): RetentionSchedulesState => ({ changed: new Map() }),

  decide(command: RetentionCommand, state: RetentionSchedulesState): RetentionEvent[] {
    switch (command.type) {
      case 'ChangeRetentionSchedule':
        return decideChange(command, state);
      default:
        // One command type so far (TypeScript narrows only unions): anything else is a caller's bug.
        return unhandled(command as never, 'command');
    }
  },

  evolve(state: RetentionSchedulesState, event: RetentionEvent): RetentionSchedulesState {
    switch (event.type) {
      case 'RetentionScheduleChanged': {
        const changed = new Map(state.changed);
        changed.set(event.data.documentType, scheduleOf(event));
        return { changed };
      }
      default:
        // One event type so far: anything else in the stream was written by a newer version.
        return unhandled(event as never, 'event');
    }
  },
} satisfies Decider<RetentionCommand, RetentionEvent, RetentionSchedulesState>;

/** Every change is appended, a repeated one too: each is an attributed act under an authority. */
function decideChange(command: ChangeRetentionSchedule, _state: RetentionSchedulesState): RetentionEvent[] {
  new Validator()
    .check(isDocumentType(command.documentType), 'documentType', DOCUMENT_TYPE_RULE)
    .check(isRetentionYears(command.years), 'years', RETENTION_YEARS_RULE)
    .check(command.minorsUntilAge === undefined || isMinorsUntilAge(command.minorsUntilAge), 'minorsUntilAge', MINORS_UNTIL_AGE_RULE)
    .check(isRetentionAuthority(command.authority), 'authority', RETENTION_AUTHORITY_RULE)
    .throwIfInvalid();
  return [
    {
      type: 'RetentionScheduleChanged',
      data: {
        documentType: command.documentType as DocumentType,
        years: command.years as number,
        ...(command.minorsUntilAge === undefined ? {} : { minorsUntilAge: command.minorsUntilAge as number }),
        authority: command.authority as string,
        changedBy: command.actor,
        changedAt: command.at,
      },
    },
  ];
}

/** The schedule an event puts in force. */
export function scheduleOf(event: RetentionScheduleChanged): RetentionSchedule {
  const { documentType, years, minorsUntilAge, authority, changedBy, changedAt } = event.data;
  return { documentType, years, ...(minorsUntilAge === undefined ? {} : { minorsUntilAge }), authority, changedBy, changedAt };
}

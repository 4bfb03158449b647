import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { CommandContext, EventSourcedRunner, LoadedStream } from '@medrec/application';
import {
  AmendmentRequestCommand,
  amendmentRequestDecider,
  AmendmentRequestEvent,
  AmendmentRequestState,
  amendmentRequestStream,
  AmendmentStatementKind,
  currentVersion,
  DomainError,
  ExistingRecordState,
  KnownAmendmentRequest,
  requireLiveRecord,
  validateAmendmentRequest,
} from '@medrec/domain';
import { AmendRecordCommand } from '../records/commands/record-commands';
import type { UploadedFile } from '../records/record-content';
import { RecordRepository } from '../records/record-repository';

type LoadedRequest = LoadedStream<AmendmentRequestState, AmendmentRequestEvent>;

export interface AmendmentRequestInput {
  recordId: string;
  requestedChange: string;
  receivedAt: string;
}

export interface AcceptFields {
  reason: string;
  title?: string;
  documentType?: string;
  encounterDate?: string;
}

/** Each statement step: the process command it decides, and the kind of the statement it files on the record. */
const STATEMENT_STEPS = {
  denial: (text: string) => ({ type: 'DenyAmendmentRequest', reason: text }) as const,
  disagreement: (text: string) => ({ type: 'FileDisagreementStatement', statement: text }) as const,
  rebuttal: (text: string) => ({ type: 'FileRebuttalStatement', statement: text }) as const,
} satisfies Record<AmendmentStatementKind, (text: string) => Partial<AmendmentRequestCommand>>;

/**
 * Patients' amendment requests (45 CFR 164.526): a process stream per request
 * (`amendment-request-<id>`, decided by amendmentRequestDecider) linked to its record, whose own
 * decider keeps what travels with disclosures (the request, the statements, the new version).
 *
 * Crash-safe ordering:
 * - receiving appends to the request's stream first, then links the request to the record
 *   (`ReceiveAmendmentRequest`, idempotent). A crash between the two leaves a listed request whose
 *   link is made by its next step (every step links first);
 * - every later step is checked against the request's stream first (nothing is appended on a
 *   refusal), then appended to the record (a statement with an id derived from the request and
 *   its kind, or the `patient-requested` version naming the request), then to the request's
 *   stream. A crash between the two is finished by asking for the same step again: the record
 *   decides nothing the second time (the statement exists; an existing answering version is
 *   reused), and the request's step is appended. The record refuses a denial of a request a
 *   version answers and a version answering a denied request, so a race between accepting and
 *   denying has one winner.
 */
@Injectable()
export class AmendmentRequests {
  constructor(
    private readonly eventSourced: EventSourcedRunner,
    private readonly records: RecordRepository,
    private readonly commands: CommandBus,
  ) {}

  async receive(input: AmendmentRequestInput, context: CommandContext): Promise<{ id: string; recordId: string; dueAt: string; position: number }> {
    validateAmendmentRequest(input, context.at);
    requireLiveRecord((await this.records.load(input.recordId)).state);
    const requestId = randomUUID();
    const registered = await this.eventSourced.run({
      stream: amendmentRequestStream(requestId),
      // The requested change is sealed with the record's key: destroying the record shreds it here too.
      keyId: input.recordId,
      decider: amendmentRequestDecider,
      command: { type: 'RegisterAmendmentRequest', requestId, actor: context.actor, at: context.at, ...input },
      context,
    });
    const request = registered.state as KnownAmendmentRequest;
    const linked = await this.link(request, { ...context, causationId: registered.appended[0].id });
    return { id: requestId, recordId: request.recordId, dueAt: request.dueAt, position: Math.max(registered.position!, linked ?? 0) };
  }

  /** The request, with its record's state (404 for an unknown request, 410 once its record is destroyed). */
  async show(requestId: string): Promise<KnownAmendmentRequest> {
    return (await this.load(requestId)).state as KnownAmendmentRequest;
  }

  async fileStatement(
    requestId: string,
    kind: AmendmentStatementKind,
    text: string,
    context: CommandContext,
  ): Promise<{ id: string; status: string; statementId: string; position: number }> {
    const loaded = await this.load(requestId);
    const request = loaded.state as KnownAmendmentRequest;
    requireLiveRecord((await this.records.load(request.recordId)).state);
    const command = { requestId, actor: context.actor, at: context.at, ...STATEMENT_STEPS[kind](text) } as AmendmentRequestCommand;
    // Checked against the request before anything is appended anywhere (409 for a wrong step).
    const [step] = amendmentRequestDecider.decide(command, request);
    const statementId = (step.data as { statementId: string }).statementId;
    let position = (await this.link(request, context)) ?? 0;
    const filed = await this.records.execute(
      { type: 'FileAmendmentStatement', recordId: request.recordId, actor: context.actor, at: context.at, requestId, statementId, kind, statement: text },
      context,
    );
    position = Math.max(position, filed.position ?? 0);
    const done = await this.runStep(loaded, command, { ...context, causationId: filed.appended[0]?.id });
    return { id: requestId, status: done.state.status, statementId, position: Math.max(position, done.position ?? 0) };
  }

  async accept(
    requestId: string,
    fields: AcceptFields,
    file: UploadedFile | undefined,
    context: CommandContext,
    expectedRevision: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ id: string; recordId: string; version: number; revision: number | null; position: number }> {
    const loaded = await this.load(requestId);
    const request = loaded.state as KnownAmendmentRequest;
    const record = requireLiveRecord((await this.records.load(request.recordId)).state);
    // A version appended for this request before a crash is the answer: it is not appended again.
    const answered = record.versions.find((v) => v.amendmentRequestId === requestId);
    const check = (version: number): AmendmentRequestCommand => ({ type: 'AcceptAmendmentRequest', requestId, actor: context.actor, at: context.at, version });
    amendmentRequestDecider.decide(check(answered?.version ?? nextVersion(record)), request);
    let position = (await this.link(request, context)) ?? 0;
    let amended: { version: number; revision: number | null; position: number | null };
    if (answered) {
      amended = { version: answered.version, revision: (await this.records.load(request.recordId)).revision, position: null };
    } else {
      amended = await this.commands.execute(
        new AmendRecordCommand(
          request.recordId,
          { ...fields, kind: 'patient-requested', amendmentRequestId: requestId },
          file,
          context,
          expectedRevision,
          signal,
        ),
      );
    }
    position = Math.max(position, amended.position ?? 0);
    const done = await this.runStep(loaded, check(amended.version), context);
    return {
      id: requestId,
      recordId: request.recordId,
      version: amended.version,
      revision: amended.revision,
      position: Math.max(position, done.position ?? 0),
    };
  }

  /** Reads the request's stream without the record's key (its requested change stays sealed): everything but the text. */
  private async load(requestId: string): Promise<LoadedRequest> {
    const loaded = await this.eventSourced.load(amendmentRequestStream(requestId), null, amendmentRequestDecider);
    if (loaded.state.status === 'absent') throw new DomainError('not-found', 'No such amendment request');
    return loaded;
  }

  private runStep(loaded: LoadedRequest, command: AmendmentRequestCommand, context: CommandContext) {
    const request = loaded.state as KnownAmendmentRequest;
    return this.eventSourced.run({
      stream: amendmentRequestStream(request.requestId),
      keyId: request.recordId,
      decider: amendmentRequestDecider,
      command,
      context,
      since: loaded,
    });
  }

  /**
   * Links the request to its record (`AmendmentRequestReceived`) unless it already is: the position
   * appended, or null. The requested change is read from the request's stream with the record's key.
   */
  private async link(request: KnownAmendmentRequest, context: CommandContext): Promise<number | null> {
    const { state } = await this.records.load(request.recordId);
    if (requireLiveRecord(state).amendmentRequests.includes(request.requestId)) return null;
    const sealed = await this.eventSourced.load(amendmentRequestStream(request.requestId), request.recordId, amendmentRequestDecider);
    const { requestedChange } = sealed.state as KnownAmendmentRequest;
    if (requestedChange === undefined) throw new Error('The requested change of an amendment request cannot be read');
    const result = await this.records.execute(
      {
        type: 'ReceiveAmendmentRequest',
        recordId: request.recordId,
        actor: context.actor,
        at: context.at,
        requestId: request.requestId,
        requestedChange,
        receivedAt: request.receivedAt,
        dueAt: request.dueAt,
      },
      context,
    );
    return result.position;
  }
}

const nextVersion = (record: ExistingRecordState): number => currentVersion(record).version + 1;

import { Command } from '@nestjs/cqrs';
import type { CommandContext } from '@medrec/application';
import type { AmendRecord, CreateRecord, RecordCommand } from '@medrec/domain';
import type { UploadedFile } from '../record-content';

export interface CommandResult {
  revision: number | null;
  position: number | null;
}

type Fields<C> = Omit<C, 'type' | 'recordId' | 'actor' | 'at' | 'content'>;

export class CreateRecordCommand extends Command<
  CommandResult & { id: string; version: 1; sha256: string; pages: number; contentType: string; duplicateOf?: string }
> {
  constructor(
    readonly fields: Fields<CreateRecord>,
    readonly file: UploadedFile | undefined,
    readonly context: CommandContext,
    /** Store identical content for the same patient again instead of answering 409. */
    readonly allowDuplicate = false,
    /** Aborted when the client hangs up: inspection stops, nothing is stored or recorded. */
    readonly signal?: AbortSignal,
    /**
     * The id to create the record under, fixed beforehand (a stack's plan): a retry after a crash
     * reuses the key made for it, and a record already there is a conflict, never a second record.
     */
    readonly recordId?: string,
    /**
     * The file's type and pages when it was made here from pages already inspected under the same
     * limits (a stack's document, copied out of the stack inspected on receipt): not inspected again.
     */
    readonly inspected?: { contentType: string; pages: number },
  ) {
    super();
  }
}

export class AmendRecordCommand extends Command<CommandResult & { version: number }> {
  constructor(
    readonly recordId: string,
    readonly fields: Fields<AmendRecord>,
    readonly file: UploadedFile | undefined,
    readonly context: CommandContext,
    readonly expectedRevision?: number,
    /** Aborted when the client hangs up: inspection stops, nothing is stored or recorded. */
    readonly signal?: AbortSignal,
  ) {
    super();
  }
}

/** Any record command without content (release, holds, archive, destroy). */
export class ExecuteRecordCommand extends Command<CommandResult> {
  constructor(
    readonly command: RecordCommand,
    readonly context: CommandContext,
    readonly expectedRevision?: number,
  ) {
    super();
  }
}

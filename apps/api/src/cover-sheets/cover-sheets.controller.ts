import { Body, Controller, Get, Header, HttpCode, Post, Req, Res, StreamableFile, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { memoryStorage } from 'multer';
import { RequirePermission } from '@medrec/auth';
import { DomainError, type ExistingCoverSheetState } from '@medrec/domain';
import { sheetsPdf } from '@medrec/ingest/sheets/sheets-pdf';
import { ApiAuthenticated, ApiProblems, ApiSummary, binaryContent } from '../http/api-docs';
import { contextOf, readContextOf, TracedRequest } from '../http/request-context';
import { UuidParam } from '../http/uuid-param';
import { MAX_BATCH_CSV_BYTES, parseCoverSheetCsv } from './cover-sheet-csv';
import { IssueCoverSheetBatchDto, IssueCoverSheetDto, VoidCoverSheetDto } from './cover-sheets.dto';
import { CoverSheetView } from './cover-sheets.response';
import { CoverSheets } from './cover-sheets.service';

/** Headers that name what a printed PDF holds (ids only: no PHI). */
const ID_HEADER = 'X-Cover-Sheet-Id';
const IDS_HEADER = 'X-Cover-Sheet-Ids';
const BATCH_HEADER = 'X-Cover-Sheet-Batch-Id';

const pdfAnswer = (description: string, headers: Record<string, string>) => ({
  description,
  content: binaryContent('application/pdf'),
  headers: Object.fromEntries(Object.entries(headers).map(([name, text]) => [name, { description: text, schema: { type: 'string' as const } }])),
});

@ApiTags('cover-sheets')
@ApiAuthenticated()
@Controller('api/cover-sheets')
export class CoverSheetsController {
  constructor(private readonly coverSheets: CoverSheets) {}

  @Post()
  @RequirePermission('cover-sheets.issue')
  @ApiSummary("Issue a cover sheet for a document to be scanned: a printable PDF whose QR code names the sheet, the document's metadata in large type")
  @ApiProduces('application/pdf')
  @ApiCreatedResponse(
    pdfAnswer('The sheet, one US Letter page', {
      Location: '/api/cover-sheets/{id}',
      [ID_HEADER]: "The sheet's id, which its QR code holds as MEDREC-CS:<id>",
    }),
  )
  @ApiProblems(400, 413, 415, 503)
  async issue(@Body() body: IssueCoverSheetDto, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const { sheet } = await this.coverSheets.issue(body, contextOf(req));
    const pdf = await sheetsPdf([{ kind: 'cover-sheet', sheet }]);
    res.setHeader('Location', `/api/cover-sheets/${sheet.id}`);
    res.setHeader(ID_HEADER, sheet.id);
    return printable(res, pdf, `cover-sheet-${sheet.id}.pdf`);
  }

  @Post('batch')
  @RequirePermission('cover-sheets.batch')
  @ApiSummary("Issue the cover sheets of a CSV (a clinic's day): one PDF, a sheet a row; every row is checked first and nothing is issued if one is invalid")
  @ApiConsumes('multipart/form-data')
  @ApiProduces('application/pdf')
  @ApiCreatedResponse(
    pdfAnswer('The sheets, a page each, in the order of the rows', {
      [IDS_HEADER]: "The sheets' ids, comma-separated, in the order of the rows",
      [BATCH_HEADER]: 'The id the sheets of this CSV share',
    }),
  )
  @ApiProblems(400, 413, 415, 503)
  @UseInterceptors(FileInterceptor('file', { storage: memoryStorage(), limits: { fileSize: MAX_BATCH_CSV_BYTES, files: 1, fields: 0, parts: 1 } }))
  async batch(
    @Body() _body: IssueCoverSheetBatchDto,
    @UploadedFile() file: Express.Multer.File | undefined,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    if (!file) throw DomainError.invalid([{ field: 'file', message: 'is required: the CSV of the sheets' }]);
    const rows = parseCoverSheetCsv(file.buffer);
    const { batchId, sheets } = await this.coverSheets.issueAll(rows, contextOf(req));
    const pdf = await sheetsPdf(sheets.map((sheet) => ({ kind: 'cover-sheet' as const, sheet })));
    res.setHeader(IDS_HEADER, sheets.map((s) => s.id).join(','));
    res.setHeader(BATCH_HEADER, batchId);
    return printable(res, pdf, `cover-sheets-${batchId}.pdf`);
  }

  @Get('separator')
  @RequirePermission('cover-sheets.separator')
  @ApiSummary('The separator sheet (QR code MEDREC-SEP): put between two documents of the same patient, reusable')
  @ApiProduces('application/pdf')
  @ApiOkResponse(pdfAnswer('The separator sheet, one US Letter page', {}))
  @Header('Cache-Control', 'private, max-age=86400')
  async separator(@Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    return printable(res, await separatorPdf(), 'separator-sheet.pdf');
  }

  @Get(':id')
  @RequirePermission('cover-sheets.read')
  @HttpCode(200)
  @ApiSummary("A cover sheet's details and what it filed (audited as a read of patient data)")
  @ApiOkResponse({ type: CoverSheetView })
  @ApiProblems(400, 404)
  async read(@UuidParam('id') id: string, @Req() req: TracedRequest, @Res({ passthrough: true }) res: Response): Promise<CoverSheetView> {
    const { state, position } = await this.coverSheets.read(id, readContextOf(req));
    res.setHeader('Cache-Control', 'no-store');
    return view(state, position);
  }

  @Post(':id/void')
  @RequirePermission('cover-sheets.void')
  @HttpCode(200)
  @ApiSummary(
    'Void a cover sheet printed by mistake or not to be used: it can no longer file pages (a stack sends the pages behind it to review); its details and the reason are shredded. Voiding a voided sheet again changes nothing (200); a sheet used, or claimed by a stack being split, is a 409',
  )
  @ApiOkResponse({ type: CoverSheetView, description: 'The sheet as it stands, voided: its details null (shredded); `position` is the void event' })
  @ApiProblems(400, 404, 409, 413, 415)
  async void(
    @UuidParam('id') id: string,
    @Body() body: VoidCoverSheetDto,
    @Req() req: TracedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CoverSheetView> {
    const { state, position } = await this.coverSheets.void(id, body.reason, contextOf(req));
    res.setHeader('Cache-Control', 'no-store');
    return view(state, position);
  }
}

function printable(res: Response, pdf: Buffer, filename: string): StreamableFile {
  res.setHeader('Cache-Control', res.getHeader('Cache-Control') ?? 'no-store');
  return new StreamableFile(pdf, { type: 'application/pdf', length: pdf.length, disposition: `inline; filename="${filename}"` });
}

let separator: Promise<Buffer> | undefined;
/** The separator sheet names no one: printed once a process. */
function separatorPdf(): Promise<Buffer> {
  separator ??= sheetsPdf([{ kind: 'separator' }]).catch((error: unknown) => {
    separator = undefined;
    throw error;
  });
  return separator;
}

function view(state: ExistingCoverSheetState, position: number): CoverSheetView {
  const { coverSheetId, status, details, documentType, batchId, issuedBy, issuedAt, recordId, stackId, usedBy, usedAt, voidedBy, voidedAt, claim } = state;
  return {
    id: coverSheetId,
    status,
    mrn: details?.mrn ?? null,
    patientName: details?.patientName ?? null,
    dateOfBirth: details?.dateOfBirth ?? null,
    documentType,
    ...(details
      ? {
          ...(details.title !== undefined ? { title: details.title } : {}),
          ...(details.encounterDate !== undefined ? { encounterDate: details.encounterDate } : {}),
        }
      : { title: null, encounterDate: null }),
    ...(batchId !== undefined ? { batchId } : {}),
    issuedBy,
    issuedAt,
    ...(recordId !== undefined ? { recordId, stackId, usedBy, usedAt } : {}),
    ...(voidedBy !== undefined ? { voidedBy, voidedAt } : {}),
    ...(claim ? { claim } : {}),
    position,
  };
}

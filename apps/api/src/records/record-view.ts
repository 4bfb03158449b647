import type { ExistingRecordState, VersionState } from '@medrec/domain';

export interface VersionView {
  version: number;
  kind: string;
  reason: string | null;
  createdBy: string;
  createdAt: string;
  sha256: string;
  contentType: string;
  pages: number | null;
  ocr: { status: 'pending' | 'done' | 'failed'; meanConfidence?: number };
}

export function versionView(v: VersionState): VersionView {
  return {
    version: v.version,
    kind: v.kind,
    reason: v.reason ?? null,
    createdBy: v.createdBy,
    createdAt: v.createdAt,
    sha256: v.content.sha256,
    contentType: v.content.contentType,
    pages: v.content.pages,
    ocr: v.ocr.status === 'done' ? { status: 'done', meanConfidence: v.ocr.meanConfidence } : { status: v.ocr.status },
  };
}

/** The API's representation of a live (active or archived) record. */
export function recordView(state: ExistingRecordState, revision: number) {
  return {
    id: state.recordId,
    mrn: state.mrn,
    patientName: state.patientName,
    dateOfBirth: state.dateOfBirth,
    documentType: state.documentType,
    title: state.title,
    encounterDate: state.encounterDate ?? null,
    status: state.status,
    currentVersion: state.versions[state.versions.length - 1].version,
    versions: state.versions.map(versionView),
    holds: state.holds.map((h) => ({ holdId: h.holdId, matter: h.matter })),
    revision,
  };
}

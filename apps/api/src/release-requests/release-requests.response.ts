import { ApiProperty } from '@nestjs/swagger';
import { RELEASE_REQUEST_STATUSES } from '@medrec/domain';

/** The bodies the release request routes answer (OpenAPI only). */

export class ReceivedReleaseRequest {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date', description: 'Received + 30 days' })
  dueAt: string;

  @ApiProperty({ type: 'integer' })
  position: number;
}

export class ReleaseRequestSummary {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, nullable: true, description: "null once the request's key is gone" })
  mrn: string | null;

  @ApiProperty({ enum: RELEASE_REQUEST_STATUSES })
  status: string;

  @ApiProperty({ format: 'date' })
  receivedAt: string;

  @ApiProperty({ format: 'date' })
  dueAt: string;

  @ApiProperty({ description: 'Open and past its due day' })
  overdue: boolean;
}

export class ReleaseRequestList {
  @ApiProperty({ type: [ReleaseRequestSummary], description: 'Overdue first, then by due day' })
  requests: ReleaseRequestSummary[];
}

export class ReleaseRecipient {
  @ApiProperty()
  name: string;

  @ApiProperty({ required: false })
  address?: string;
}

export class PackagedRecord {
  @ApiProperty({ format: 'uuid' })
  recordId: string;

  @ApiProperty({ type: 'integer', isArray: true })
  versions: number[];
}

export class ShreddedPackage {
  @ApiProperty({ format: 'uuid', description: 'The destroyed record' })
  recordId: string;

  @ApiProperty({ format: 'date-time' })
  at: string;
}

export class ReleasePackage {
  @ApiProperty({ description: 'Where to get it (GET, application/zip)' })
  url: string;

  @ApiProperty()
  sha256: string;

  @ApiProperty({ type: 'integer', description: 'Bytes' })
  size: number;

  @ApiProperty({ type: [PackagedRecord] })
  releases: PackagedRecord[];

  @ApiProperty({ format: 'date-time' })
  builtAt: string;

  @ApiProperty({
    type: () => ShreddedPackage,
    nullable: true,
    description: 'Set once the package was deleted because a record it held was destroyed (the download then answers 410); the releases stay accounted for',
  })
  shredded: ShreddedPackage | null;
}

/** GET /api/release-requests/:id: details (PHI, null once the key is gone) and progress. */
export class ReleaseRequest {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: RELEASE_REQUEST_STATUSES })
  status: string;

  @ApiProperty({ type: String, nullable: true })
  mrn: string | null;

  @ApiProperty({ type: String, nullable: true })
  requester: string | null;

  @ApiProperty({ type: () => ReleaseRecipient, nullable: true })
  recipient: ReleaseRecipient | null;

  @ApiProperty({ type: String, nullable: true })
  purpose: string | null;

  @ApiProperty({ type: String, format: 'uuid', isArray: true })
  recordIds: string[];

  @ApiProperty({ type: String, nullable: true })
  authorizationReference: string | null;

  @ApiProperty({ format: 'date' })
  authorizationExpires: string;

  @ApiProperty({ format: 'date' })
  receivedAt: string;

  @ApiProperty({ format: 'date' })
  dueAt: string;

  @ApiProperty()
  overdue: boolean;

  @ApiProperty()
  registeredBy: string;

  @ApiProperty({ format: 'date-time' })
  registeredAt: string;

  @ApiProperty({ type: () => ReleasePackage, nullable: true, description: 'Once built' })
  package: ReleasePackage | null;

  @ApiProperty({ type: String, nullable: true })
  fulfilledBy: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  fulfilledAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  deniedBy: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deniedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  denialReason: string | null;
}

export class ReleaseFulfilment {
  @ApiProperty({ description: 'Where to get the package (GET, application/zip)' })
  packageUrl: string;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null when it was already fulfilled (nothing appended)' })
  position: number | null;
}

export class ReleaseDenial {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['denied'] })
  status: 'denied';

  @ApiProperty({ type: 'integer', nullable: true })
  position: number | null;
}

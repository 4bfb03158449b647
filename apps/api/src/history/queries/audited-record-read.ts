/** Reads of a record are audited by the one helper of the records module. */
export { auditRecordRead } from '../../records/audited-record-read';

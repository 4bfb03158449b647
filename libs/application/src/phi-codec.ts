import { decryptPhi, encryptPhi, isEncryptedPhi, KeyStore } from '@medrec/crypto';
import type { StoredEvent } from '@medrec/event-store';
import type { DomainEvent } from './decider';

/** Stored data of an event whose PHI fields travel encrypted under `phi`. */
const PHI_FIELD = 'phi';

export interface DecodedEvent<E extends DomainEvent = DomainEvent> {
  event: E;
  stored: StoredEvent;
  /** False when the event had PHI and the key is gone (crypto-shredded): PHI fields are absent. */
  phiReadable: boolean;
}

/**
 * Splits an event's PHI fields from its clear fields and seals them with the data key of the
 * entity (the record) they belong to. Events without PHI fields pass through unchanged.
 */
export class PhiCodec {
  constructor(
    private readonly keys: KeyStore,
    private readonly phiFieldsByType: Readonly<Record<string, readonly string[]>>,
  ) {}

  async encode(keyId: string, event: DomainEvent): Promise<Record<string, unknown>> {
    const phiNames = this.phiFieldsByType[event.type] ?? [];
    const data = event.data as Record<string, unknown>;
    const phi: Record<string, unknown> = {};
    const clear: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(data)) {
      if (value === undefined) continue;
      if (phiNames.includes(name)) phi[name] = value;
      else clear[name] = value;
    }
    if (Object.keys(phi).length === 0) return clear;
    const key = await this.keys.get(keyId);
    if (!key) throw new Error('No data key for this entity: PHI cannot be written');
    return { ...clear, [PHI_FIELD]: encryptPhi(key, keyId, phi) };
  }

  async decode<E extends DomainEvent>(keyId: string, stored: StoredEvent, key?: Buffer | null): Promise<DecodedEvent<E>> {
    const { [PHI_FIELD]: sealed, ...clear } = stored.data;
    if (!isEncryptedPhi(sealed)) {
      return { event: { type: stored.type, data: stored.data } as unknown as E, stored, phiReadable: true };
    }
    const dataKey = key === undefined ? await this.keys.get(keyId) : key;
    if (!dataKey) return { event: { type: stored.type, data: clear } as unknown as E, stored, phiReadable: false };
    const phi = decryptPhi(dataKey, keyId, sealed);
    return { event: { type: stored.type, data: { ...clear, ...phi } } as unknown as E, stored, phiReadable: true };
  }

  async decodeAll<E extends DomainEvent>(keyId: string, events: StoredEvent[]): Promise<DecodedEvent<E>[]> {
    const key = events.some((e) => isEncryptedPhi(e.data[PHI_FIELD])) ? await this.keys.get(keyId) : null;
    return Promise.all(events.map((e) => this.decode<E>(keyId, e, key)));
  }
}

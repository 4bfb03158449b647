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
    try {
      return { ...clear, [PHI_FIELD]: encryptPhi(key, keyId, phi) };
    } finally {
      key.fill(0);
    }
  }

  async decode<E extends DomainEvent>(keyId: string, stored: StoredEvent, key?: Buffer | null): Promise<DecodedEvent<E>> {
    if (key !== undefined || !isEncryptedPhi(stored.data[PHI_FIELD])) return this.decodeWith<E>(keyId, stored, key ?? null);
    const dataKey = await this.keys.get(keyId);
    try {
      return this.decodeWith<E>(keyId, stored, dataKey);
    } finally {
      dataKey?.fill(0);
    }
  }

  async decodeAll<E extends DomainEvent>(keyId: string, events: StoredEvent[]): Promise<DecodedEvent<E>[]> {
    const key = events.some((e) => isEncryptedPhi(e.data[PHI_FIELD])) ? await this.keys.get(keyId) : null;
    try {
      return events.map((e) => this.decodeWith<E>(keyId, e, key));
    } finally {
      key?.fill(0);
    }
  }

  /**
   * Decodes events of many entities (a projection batch, in log order): each entity's key is
   * fetched once for the whole batch, and every key fetched is overwritten before this returns,
   * so no key outlives the batch (a key destroyed after the call is never used again).
   */
  async decodeBatch<E extends DomainEvent>(events: ReadonlyArray<{ keyId: string; stored: StoredEvent }>): Promise<DecodedEvent<E>[]> {
    const needed = new Set<string>();
    for (const { keyId, stored } of events) if (isEncryptedPhi(stored.data[PHI_FIELD])) needed.add(keyId);
    const keys = needed.size > 0 ? await this.keys.getMany([...needed]) : new Map<string, Buffer | null>();
    try {
      return events.map(({ keyId, stored }) => this.decodeWith<E>(keyId, stored, keys.get(keyId) ?? null));
    } finally {
      for (const key of keys.values()) key?.fill(0);
    }
  }

  /** Synchronous decode with the entity's key already in hand (null: destroyed or never created). */
  private decodeWith<E extends DomainEvent>(keyId: string, stored: StoredEvent, key: Buffer | null): DecodedEvent<E> {
    const { [PHI_FIELD]: sealed, ...clear } = stored.data;
    if (!isEncryptedPhi(sealed)) {
      return { event: { type: stored.type, data: stored.data } as unknown as E, stored, phiReadable: true };
    }
    if (!key) return { event: { type: stored.type, data: clear } as unknown as E, stored, phiReadable: false };
    const phi = decryptPhi(key, keyId, sealed);
    return { event: { type: stored.type, data: { ...clear, ...phi } } as unknown as E, stored, phiReadable: true };
  }
}

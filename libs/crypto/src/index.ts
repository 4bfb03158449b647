export { KeyExistsError, KEY_STORE, type KeyStore } from './key-store.port';
export { DecryptionError, KeyDestroyedError, MasterKeyError } from './errors';
export { KEY_LENGTH, open, openString, seal, sealString } from './aes-gcm';
export { MASTER_KEY_ENV, MASTER_KEY_FILE, loadMasterKey, parseKey, type LoadMasterKeyOptions } from './master-key';
export { assertKeyId, masterKeyCheck, unwrapKey, verifyMasterKeyCheck, wrapKey } from './key-wrapping';
export { SqliteKeyStore, type SqliteKeyStoreOptions } from './sqlite-key-store';
export { decryptPhi, encryptPhi, isEncryptedPhi } from './phi-cipher';
export { STREAM_OVERHEAD, createDecryptStream, createEncryptStream } from './stream-cipher';
export {
  GENESIS,
  canonicalJson,
  chainMetadata,
  eventHash,
  verifyChain,
  ChainWalker,
  type ChainBreak,
  type ChainBreakReason,
  type ChainVerification,
  type ChainedEvent,
  type HashableEvent,
} from './hash-chain';
export {
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  makePrivateDatabaseFileSync,
  makePrivateDir,
  makePrivateDirSync,
  makePrivateFileSync,
  restrictDirSync,
  writePrivateFileSync,
} from './private-files';

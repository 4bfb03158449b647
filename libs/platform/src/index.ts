/**
 * What the three apps share: configuration, opening the stores, the projection lists and the Nest
 * modules that wire them. The CLI imports the modules it needs by path (`@medrec/platform/...`),
 * so that it loads no Nest module it has no use for.
 */
export * from './config/app-config';
export * from './stores/create-blob-store';
export * from './stores/create-event-store';
export * from './stores/data-dir';
export * from './stores/destruction-ledger';
export * from './stores/no-phi-key-store';
export * from './stores/open-stores';
export * from './stores/secret-file';
export * from './infrastructure/server-secret';
export * from './infrastructure/infrastructure.module';
export * from './read-models/projections';
export * from './read-models/read-models.module';
export * from './ocr/node-id';
export * from './ocr/ocr.module';
export * from './metrics/metrics.port';
export * from './metrics/metrics-access';
export * from './metrics/prometheus-metrics';
export * from './metrics/metrics-server.module';
export * from './logging/log-options';
export * from './logging/json-logs';
export * from './lifecycle/shutdown-on-signals';

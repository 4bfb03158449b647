export * from './retention.projection';

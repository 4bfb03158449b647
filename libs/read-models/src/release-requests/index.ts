export * from './release-requests.projection';

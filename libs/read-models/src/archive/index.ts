export * from './archive.projection';

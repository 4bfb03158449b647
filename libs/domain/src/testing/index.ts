export * from './decider-spec';
export * from './record.builders';

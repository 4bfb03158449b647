export * from './decider';
export * from './command-context';
export * from './phi-codec';
export * from './event-sourced-runner';
export * from './pipelined-appender';
export * from './stream-cache';
export * from './certificate-sha256';
export * from './work-loop';

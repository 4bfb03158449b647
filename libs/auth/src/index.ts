export * from './password-hasher';
export * from './permissions';
export * from './token.service';
export * from './user-directory';
export * from './nest/auth.decorators';
export * from './nest/auth.guard';
export * from './nest/authenticated-request';

export * from './password.ts';
export * from './roles.ts';
export * from './tokens.ts';
export * from './accounts.ts';
export * from './sessions.ts';
export * from './throttle.ts';

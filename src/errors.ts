/**
 * The one error type the library throws for anything a user can fix.
 * The CLI prints `message` (one sentence) and, when present, `fix` (what to run),
 * then exits with `exitCode` (2: the command could not do its job, per DESIGN.md).
 */
export type ErrorCode =
  | 'usage'
  | 'bad-input'
  | 'bad-name'
  | 'not-permitted'
  | 'exists'
  | 'not-found'
  | 'unreadable'
  | 'unwritable'
  | 'bad-password'
  | 'network'
  | 'missing-tool'
  | 'internal';

export class TlsdockError extends Error {
  readonly code: ErrorCode;
  readonly fix?: string;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { fix?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TlsdockError';
    this.code = code;
    this.fix = options.fix;
    this.exitCode = options.exitCode ?? 2;
  }
}

export function isTlsdockError(e: unknown): e is TlsdockError {
  return e instanceof TlsdockError;
}

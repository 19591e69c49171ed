// Bad command-line usage: printed as one line with a hint, exit status chosen by the command.
export class UsageError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

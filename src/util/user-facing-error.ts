/** An error whose message is written for the person who caused it (a member, a CLI user), with a stable code. */
export class UserFacingError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, name: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/** A named reason or warning. Rendered as "code: message"; tests and alerts key on the code. */
export interface Finding {
  readonly code: string;
  readonly message: string;
}

export const finding = (code: string, message: string): Finding => ({ code, message });

export const render = (f: Finding): string => `${f.code}: ${f.message}`;

// The API token for control actions: asked for once, kept in sessionStorage for this tab only.
const KEY = 'qts.apiToken';

/** Asks the user; returns null when they cancel. Replaced in tests. */
export type TokenPrompt = () => Promise<string | null>;

export class ApiToken {
  #value = $state<string | null>(null);
  #asking = $state(false);
  #pending: ((v: string | null) => void) | null = null;

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null = globalThis.sessionStorage ?? null) {
    this.#value = storage?.getItem(KEY) ?? null;
  }

  get value(): string | null { return this.#value; }
  /** True while the token dialog is open. */
  get asking(): boolean { return this.#asking; }

  /** The token, asking for it through the dialog when unknown; rejects when the user cancels. */
  async require(): Promise<string> {
    if (this.#value) return this.#value;
    this.#asking = true;
    const v = await new Promise<string | null>((r) => { this.#pending = r; });
    this.#asking = false;
    if (!v) throw new Error('cancelled: an API token is needed for this action');
    this.set(v);
    return v;
  }

  /** Called by the dialog. */
  answer(v: string | null): void {
    const p = this.#pending;
    this.#pending = null;
    p?.(v?.trim() || null);
  }

  set(v: string): void {
    this.#value = v;
    this.storage?.setItem(KEY, v);
  }

  forget(): void {
    this.#value = null;
    this.storage?.removeItem(KEY);
  }
}

export const apiToken = new ApiToken();

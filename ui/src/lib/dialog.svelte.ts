// One confirmation dialog for dangerous actions (kill switch, stop), answered by the user or by Escape.
export class Confirmation {
  #message = $state<string | null>(null);
  #resolve: ((ok: boolean) => void) | null = null;

  get message(): string | null { return this.#message; }

  ask(message: string): Promise<boolean> {
    this.#resolve?.(false);
    this.#message = message;
    return new Promise((r) => { this.#resolve = r; });
  }

  answer(ok: boolean): void {
    const r = this.#resolve;
    this.#resolve = null;
    this.#message = null;
    r?.(ok);
  }
}

export const confirmation = new Confirmation();

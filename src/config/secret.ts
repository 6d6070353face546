/**
 * A credential from the config (backend API keys, client secrets). The value lives in a private
 * field, so `console.log`, `JSON.stringify`, `Bun.inspect`, string templates and error messages all
 * see "[redacted]"; only an explicit `reveal()` at the point of use yields it.
 * A class (not a closure) because the private field is what makes accidental serialisation
 * impossible, and `instanceof` lets the schema tell a secret apart from a plain string.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[redacted]";
  }
  toJSON(): string {
    return "[redacted]";
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "Secret([redacted])";
  }
}

/** Shared by the access-policy suites: one chat call, and what the SDK made of an answer. */
import OpenAI, { APIError } from "openai";

export const BODY = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });

export const chat = (c: OpenAI, model = "gpt-4o-mini") => c.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });

export type Outcome = { status: 200 } | { status: number; error: APIError };

/** 200, or the status and APIError the SDK threw (anything else is rethrown). */
export async function status(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return { status: 200 };
  } catch (err) {
    if (!(err instanceof APIError)) throw err;
    return { status: err.status ?? 0, error: err };
  }
}

/** The APIError of a failed call (fails the test when the call succeeded). */
export async function apiError(p: Promise<unknown>): Promise<APIError> {
  const o = await status(p);
  if (!("error" in o)) throw new Error("expected the call to fail");
  return o.error;
}

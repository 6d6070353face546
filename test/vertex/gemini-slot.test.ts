/**
 * Until the Gemini translator fills the Vertex adapter's GEMINI slot (issue 6), non-Claude models
 * on a vertex backend get a clear 501. (Replace this test when the slot is filled.)
 */
import { expect, test } from "bun:test";
import OpenAI from "openai";
import { openaiClient, startTestGateway } from "../helpers/gateway.ts";

test("a Gemini model on vertex answers 501 Gemini on Vertex is not implemented yet", async () => {
  const gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - policies:
        backendAuth:
          key: unused
      backends:
      - ai:
          name: vertex
          hostOverride: 127.0.0.1:9
          provider:
            vertex: {projectId: my-project, model: gemini-2.5-pro}
`);
  try {
    const err = await openaiClient(gw.baseURL())
      .chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(501);
    expect((err as Error).message).toContain("Gemini on Vertex is not implemented yet");
  } finally {
    await gw.stop();
  }
});

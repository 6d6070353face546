/** Where Vertex lives (CONFIG.md 2.2 host rules) and how Claude model names map onto its paths. */
import { expect, test } from "bun:test";
import { vertexClaudeModel } from "../../../../src/llm/providers/vertex/claude.ts";
import { vertexAdapter } from "../../../../src/llm/providers/vertex/index.ts";

test.each([
  [undefined, "https://aiplatform.googleapis.com", "global"],
  ["global", "https://aiplatform.googleapis.com", "global"],
  ["us", "https://aiplatform.us.rep.googleapis.com", "us"],
  ["eu", "https://aiplatform.eu.rep.googleapis.com", "eu"],
  ["us-east5", "https://us-east5-aiplatform.googleapis.com", "us-east5"],
  ["europe-west1", "https://europe-west1-aiplatform.googleapis.com", "europe-west1"],
])("region %p -> %s", (region, origin, location) => {
  expect(vertexAdapter.defaultBase({ projectId: "my-project", region })).toEqual({
    origin,
    basePath: `/v1/projects/my-project/locations/${location}`,
  });
});

test.each([
  ["claude-sonnet-4-20250514", "claude-sonnet-4@20250514"],
  ["claude-3-5-haiku-20241022", "claude-3-5-haiku@20241022"],
  ["claude-opus-4-1@20250805", "claude-opus-4-1@20250805"],
  ["claude-sonnet-4-5", "claude-sonnet-4-5"],
])("model %s -> %s", (model, vertex) => {
  expect(vertexClaudeModel(model)).toBe(vertex);
});

test("telemetry name and no native passthrough", () => {
  expect(vertexAdapter.telemetryName({ projectId: "p" })).toBe("gcp.vertex_ai");
  expect(vertexAdapter.nativePath("messages", { projectId: "p" }, undefined, "/v1")).toBeUndefined();
});

/**
 * ConverseStream scripts modelled on the API reference and recorded Bedrock streams (vercel/ai
 * amazon-bedrock fixtures): event order, block indices, usage placement, stop reasons.
 */
import { ev, TEST_CREDENTIALS, type StreamEvent } from "../../../emulators/bedrock.ts";
import type { GatewayForOptions } from "../../../helpers/gateway.ts";

export const MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0";

/** The backend the suites run against: `MODEL` pinned in the emulator's region, SigV4 with the credentials it checks. */
export const PINNED = { settings: { region: "us-east-1", model: MODEL }, auth: { aws: TEST_CREDENTIALS } } satisfies GatewayForOptions;

export const text: StreamEvent[] = [
  ev.start(),
  ev.text(0, "The capital"),
  ev.text(0, " of France"),
  ev.text(0, " is Paris."),
  ev.blockStop(0),
  ev.stop("end_turn"),
  ev.metadata({ inputTokens: 14, outputTokens: 8, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }),
];

/** Usage before the stop (seen in some recordings): the finish must still come first. */
export const metadataFirst: StreamEvent[] = [ev.start(), ev.text(0, "Hi!"), ev.blockStop(0), ev.metadata({ inputTokens: 5, outputTokens: 2 }), ev.stop("end_turn")];

/** Text, then two tool calls in one turn (content blocks 1 and 2). */
export const parallelTools: StreamEvent[] = [
  ev.start(),
  ev.text(0, "I'll check both cities."),
  ev.blockStop(0),
  ev.toolStart(1, "tooluse_paris01", "get_weather"),
  ev.toolInput(1, '{"city":'),
  ev.toolInput(1, '"Paris"}'),
  ev.blockStop(1),
  ev.toolStart(2, "tooluse_tokyo02", "get_weather"),
  ev.toolInput(2, '{"city":"To'),
  ev.toolInput(2, 'kyo"}'),
  ev.blockStop(2),
  ev.stop("tool_use"),
  ev.metadata({ inputTokens: 320, outputTokens: 96 }),
];

export const toolCall = (id: string, name: string, args: string): StreamEvent[] => [
  ev.start(),
  ev.toolStart(0, id, name),
  ...(args === "" ? [] : [ev.toolInput(0, args)]),
  ev.blockStop(0),
  ev.stop("tool_use"),
  ev.metadata({ inputTokens: 100, outputTokens: 20 }),
];

export const SIGNATURE = "EqoBCkgIARABGAIiQL2UoU0b1OHYi+sigtestAAAA/+signature==";

/** Reasoning first (no block start, as Bedrock sends it), signed, then the answer. */
export const reasoning: StreamEvent[] = [
  ev.start(),
  ev.reasoning(0, "Let me count the r's in \"strawberry\": "),
  ev.reasoning(0, "s-t-r-a-w-b-e-r-r-y, that is 3."),
  ev.reasoning(0, ""),
  ev.signature(0, SIGNATURE),
  ev.blockStop(0),
  ev.text(1, "There are **3** r's in \"strawberry\"."),
  ev.blockStop(1),
  ev.stop("end_turn", { additionalModelResponseFields: { delta: { stop_sequence: null } } }),
  ev.metadata({ inputTokens: 51, outputTokens: 94 }),
];

export const REDACTED = "cnNuX3BVUGgxNnRvNFZLWURnSkFQeW1iRUFJRmVCTFpzSm15U3pBMGF0dUlO";

export const redactedReasoning: StreamEvent[] = [
  ev.start(),
  ev.redacted(0, REDACTED),
  ev.blockStop(0),
  ev.toolStart(1, "call_61f8fcbe", "propose"),
  ev.toolInput(1, '{"groups":[]}'),
  ev.blockStop(1),
  ev.stop("tool_use"),
  ev.metadata({ inputTokens: 67, outputTokens: 70 }),
];

export const maxTokens: StreamEvent[] = [ev.start(), ev.text(0, "Once upon a time, in a land far"), ev.blockStop(0), ev.stop("max_tokens"), ev.metadata({ inputTokens: 9, outputTokens: 10 })];

/** Bedrock Guardrails blocked the prompt: the configured message replaces the answer. */
export const guardrailIntervened: StreamEvent[] = [
  ev.start(),
  ev.text(0, "Sorry, the model cannot answer this question."),
  ev.blockStop(0),
  ev.stop("guardrail_intervened"),
  ev.metadata({ inputTokens: 18, outputTokens: 12 }, { trace: { guardrail: { inputAssessment: { "1abcd2ef34gh": { topicPolicy: { topics: [{ action: "BLOCKED", name: "Restricted topic", type: "DENY" }] } } } } } }),
];

export const cached: StreamEvent[] = [
  ev.start(),
  ev.text(0, "Cached answer."),
  ev.blockStop(0),
  ev.stop("end_turn"),
  ev.metadata({ inputTokens: 10, outputTokens: 3, cacheReadInputTokens: 1800, cacheWriteInputTokens: 200 }),
];

/** A throttle after the stream started (Bedrock sends it as an exception message). */
export const throttledMidStream: StreamEvent[] = [
  ev.start(),
  ev.text(0, "Partial"),
  { exception: "throttlingException", message: "Too many tokens, please wait before trying again." },
];

export const modelStreamError: StreamEvent[] = [
  ev.start(),
  { exception: "modelStreamErrorException", message: "Model stream error", extra: { originalStatusCode: 500, originalMessage: "Internal error" } },
];

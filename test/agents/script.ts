/**
 * How the agent suite's emulators answer (the logic of the research fakes, on the gateway's
 * translated requests): a conversation with a tool result -> "DONE. Tool said: <result>"; a
 * USE_TOOL prompt -> a call of the agent's shell tool; anything else -> "pong".
 *
 * The command the tool runs computes its output (`42x`), which appears nowhere in the prompt,
 * the command or the call: an answer that has it can only have come from running the tool (an
 * agent that refused the call, or echoed the command back in an error, does not produce it).
 * No `$((...))`: Gemini CLI refuses commands with `$(` in them.
 */
import { turn, type AnthropicEvent, type Reply as AnthropicReply, type RecordedRequest as AnthropicRequest } from "../emulators/anthropic.ts";
import { ev, type Reply, type RecordedBedrockRequest, type StreamEvent } from "../emulators/bedrock.ts";
import { event, type Reply as GeminiReply, type RecordedRequest as GeminiRequest } from "../emulators/gemini.ts";
import type { RecordedRequest } from "../emulators/openai.ts";

/** The shell tools of the three agents, with the arguments each expects. */
export const TOOL_COMMAND = "expr 6 '*' 7 | sed 's/$/x/'";
/** What the command prints: only running it produces this text. */
export const TOOL_OUTPUT = "42x";

const SHELL_TOOLS: Record<string, Record<string, unknown>> = {
  Bash: { command: TOOL_COMMAND, description: "Multiply and mark" },
  exec_command: { cmd: TOOL_COMMAND },
  run_shell_command: { command: TOOL_COMMAND, description: "multiply and mark" },
  shell: { command: ["bash", "-lc", TOOL_COMMAND] },
};

type Decision = { text: string } | { tool: string; args: string };

function decide(toolResult: string | undefined, wantsTool: boolean, tools: string[]): Decision {
  if (toolResult !== undefined) return { text: `DONE. Tool said: ${toolResult.replace(/\s+/g, " ").trim().slice(0, 300)}` };
  const tool = tools.find((t) => t in SHELL_TOOLS);
  if (wantsTool && tool) return { tool, args: JSON.stringify(SHELL_TOOLS[tool]) };
  return { text: "pong" };
}

function textOf(content: unknown): string {
  return typeof content === "string" ? content : JSON.stringify(content ?? "");
}

// ---------------------------------------------------------------------------------------------
// OpenAI chat completions (the hub request the gateway sends an OpenAI-format backend)

interface ChatBody {
  stream?: boolean;
  messages: { role: string; content?: unknown }[];
  tools?: { function?: { name?: string } }[];
}

export function openaiAnswer(req: RecordedRequest): Response | undefined {
  if (!req.path.endsWith("/chat/completions")) return undefined;
  const body = req.json as ChatBody;
  const results = body.messages.filter((m) => m.role === "tool");
  const users = body.messages.filter((m) => m.role === "user").map((m) => textOf(m.content));
  const d = decide(results.length > 0 ? textOf(results.at(-1)!.content) : undefined, users.some((u) => u.includes("USE_TOOL")), (body.tools ?? []).map((t) => t.function?.name ?? ""));
  const model = "gpt-agent-emu";
  if (!body.stream) {
    const message = "text" in d ? { role: "assistant", content: d.text } : { role: "assistant", content: null, tool_calls: [{ id: "call_agent_1", type: "function", function: { name: d.tool, arguments: d.args } }] };
    return Response.json({ id: "chatcmpl-agent", object: "chat.completion", created: 1, model, choices: [{ index: 0, message, finish_reason: "text" in d ? "stop" : "tool_calls" }], usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } });
  }
  const chunk = (delta: unknown, finish: string | null) => `data: ${JSON.stringify({ id: "chatcmpl-agent", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const frames = [chunk({ role: "assistant", content: "" }, null)];
  if ("text" in d) for (const piece of d.text.match(/.{1,12}/gs) ?? []) frames.push(chunk({ content: piece }, null));
  else {
    frames.push(chunk({ tool_calls: [{ index: 0, id: "call_agent_1", type: "function", function: { name: d.tool, arguments: "" } }] }, null));
    for (const piece of d.args.match(/.{1,10}/gs) ?? []) frames.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null));
  }
  frames.push(chunk({}, "text" in d ? "stop" : "tool_calls"));
  frames.push(`data: ${JSON.stringify({ id: "chatcmpl-agent", object: "chat.completion.chunk", created: 1, model, choices: [], usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } })}\n\n`, "data: [DONE]\n\n");
  return new Response(frames.join(""), { headers: { "content-type": "text/event-stream" } });
}

// ---------------------------------------------------------------------------------------------
// Bedrock Converse

interface ConverseBody {
  messages: { role: string; content: { text?: string; toolResult?: { content?: { text?: string }[] } }[] }[];
  toolConfig?: { tools?: { toolSpec?: { name?: string } }[] };
}

export function bedrockAnswer(req: RecordedBedrockRequest): Reply | undefined {
  const body = req.json as ConverseBody;
  const blocks = body.messages.flatMap((m) => m.content);
  const results = blocks.filter((b) => b.toolResult);
  const lastResult = results.at(-1)?.toolResult?.content?.map((c) => c.text ?? JSON.stringify(c)).join(" ");
  const wantsTool = body.messages.some((m) => m.role === "user" && m.content.some((b) => b.text?.includes("USE_TOOL")));
  const d = decide(results.length > 0 ? (lastResult ?? "") : undefined, wantsTool, (body.toolConfig?.tools ?? []).map((t) => t.toolSpec?.name ?? ""));
  const events: StreamEvent[] = [ev.start()];
  if ("text" in d) {
    for (const piece of d.text.match(/.{1,12}/gs) ?? []) events.push(ev.text(0, piece));
    events.push(ev.blockStop(0), ev.stop("end_turn"));
  } else {
    events.push(ev.toolStart(0, "tooluse_agent01", d.tool), ev.toolInput(0, d.args), ev.blockStop(0), ev.stop("tool_use"));
  }
  events.push(ev.metadata({ inputTokens: 100, outputTokens: 10 }));
  return { events };
}

// ---------------------------------------------------------------------------------------------
// Gemini generateContent (the gateway's translation, or Gemini CLI's own request passed through)

interface GeminiBody {
  contents: { role?: string; parts: { text?: string; functionResponse?: { response?: unknown } }[] }[];
  tools?: { functionDeclarations?: { name?: string }[] }[];
}

export function geminiAnswer(req: GeminiRequest): GeminiReply | undefined {
  const body = req.json as GeminiBody;
  if (!body?.contents) return undefined;
  const parts = body.contents.flatMap((c) => c.parts);
  const results = parts.filter((p) => p.functionResponse);
  const wantsTool = body.contents.some((c) => c.role !== "model" && c.parts.some((p) => p.text?.includes("USE_TOOL")));
  const names = (body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).map((d) => d.name ?? "");
  const d = decide(results.length > 0 ? textOf(results.at(-1)!.functionResponse!.response) : undefined, wantsTool, names);
  const usage = { promptTokenCount: 100, candidatesTokenCount: 10, totalTokenCount: 110 };
  if ("text" in d) return { events: [event([{ text: d.text }]), event([{ text: "" }], { finishReason: "STOP", usage })] };
  return { events: [event([{ functionCall: { name: d.tool, args: JSON.parse(d.args) } }]), event([{ text: "" }], { finishReason: "STOP", usage })] };
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages (the gateway's translation, or Claude Code's own request passed through)

interface MessagesBody {
  messages: { role: string; content: string | { type: string; text?: string; content?: unknown }[] }[];
  tools?: { name?: string }[];
}

export function anthropicAnswer(req: AnthropicRequest): AnthropicReply | undefined {
  if (!req.path.endsWith("/messages")) return undefined;
  const body = req.json as MessagesBody;
  const blocks = body.messages.flatMap((m) => (typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content));
  const results = blocks.filter((b) => b.type === "tool_result");
  const wantsTool = body.messages.some((m) => m.role === "user" && textOf(m.content).includes("USE_TOOL"));
  const d = decide(results.length > 0 ? textOf(results.at(-1)!.content) : undefined, wantsTool, (body.tools ?? []).map((t) => t.name ?? ""));
  const start: AnthropicEvent = { type: "message_start", message: { id: "msg_agent", type: "message", role: "assistant", model: "claude-emu", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 100, output_tokens: 1 } } };
  const block: AnthropicEvent[] =
    "text" in d
      ? [{ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: d.text } }]
      : [{ type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_agent01", name: d.tool, input: {} } }, { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: d.args } }];
  return turn([
    start,
    ...block,
    { type: "content_block_stop", index: 0 },
    { type: "message_delta", delta: { stop_reason: "text" in d ? "end_turn" : "tool_use", stop_sequence: null }, usage: { output_tokens: 10 } },
    { type: "message_stop" },
  ]);
}

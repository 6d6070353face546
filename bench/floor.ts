/**
 * The floor of a translating Bun proxy: the least code that can turn an Anthropic Messages
 * stream into OpenAI chat-completion chunks, with none of the gateway (no config, routing,
 * policies, hub, telemetry, error handling or keep-alive). It reads the client's JSON, sends a
 * Messages request, and for each upstream read splits the SSE events, parses each `data:` line and
 * writes an OpenAI chunk for text deltas (a role chunk first, a finish chunk and [DONE] last),
 * through a direct stream. `bun run bench --floor` runs it in the gateway's place, so the table
 * says how far from the bare proxy any Bun translator is on this machine: the gateway's
 * translated-stream figures are read against this floor, not only against the bare proxy.
 *
 * With `--tap` it is the floor of a proxy that must read an OpenAI stream to find its usage (what
 * the gateway does whenever the access log, a metric or a limit wants tokens): the same request
 * forwarded, each upstream read searched for `"usage":` with one native substring search and
 * written on through a direct stream. Reading a fetch body in JavaScript at all ends Bun's native
 * pipe, so this, not the bare proxy, is what a usage-reading passthrough can reach.
 *
 *   bun bench/floor.ts --port 4030 --upstream http://127.0.0.1:4010 [--tap]
 */
export {}; // a module: its names do not clash with the other bench scripts

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const upstream = arg("--upstream") ?? "http://127.0.0.1:4010";
const enc = new TextEncoder();
const dec = new TextDecoder();

const chunk = (id: string, model: string, created: number, delta: string, finish: string | null) =>
  `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":"${model}","choices":[{"index":0,"delta":${delta},"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}\n\n`;

/** Anthropic SSE bytes -> OpenAI chunk text, event by event. */
function translator(model: string) {
  let buffer = "";
  let id = "chatcmpl-floor";
  const created = Math.floor(Date.now() / 1000);
  return (bytes: Uint8Array | undefined): string => {
    buffer += bytes ? dec.decode(bytes, { stream: true }) : "";
    let out = "";
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const at = event.indexOf("data: ");
      if (at === -1) continue;
      const data = JSON.parse(event.slice(at + 6)) as { type: string; message?: { id: string }; delta?: { type?: string; text?: string; stop_reason?: string } };
      if (data.type === "message_start") {
        id = data.message!.id;
        out += chunk(id, model, created, `{"role":"assistant","content":""}`, null);
      } else if (data.type === "content_block_delta" && data.delta?.type === "text_delta") {
        out += chunk(id, model, created, `{"content":${JSON.stringify(data.delta.text)}}`, null);
      } else if (data.type === "message_delta") {
        out += chunk(id, model, created, "{}", data.delta?.stop_reason === "max_tokens" ? "length" : "stop");
      } else if (data.type === "message_stop") {
        out += "data: [DONE]\n\n";
      }
    }
    return out;
  };
}

const USAGE = Buffer.from('"usage":');

/** OpenAI stream in, the same bytes out, each read searched for the usage event. */
async function tap(req: Request): Promise<Response> {
  const res = await fetch(`${upstream}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-bench" },
    body: await req.arrayBuffer(),
  });
  const reader = res.body!.getReader();
  let usageSeen = false;
  return new Response(
    new ReadableStream({
      type: "direct",
      async pull(controller) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          if (!usageSeen) usageSeen = Buffer.from(value.buffer, value.byteOffset, value.byteLength).indexOf(USAGE) !== -1;
          controller.write(value);
        }
      },
    }),
    { status: res.status, headers: { "content-type": "text/event-stream" } },
  );
}

const TAP = process.argv.includes("--tap");

const server = Bun.serve({
  port: Number(arg("--port") ?? 4030),
  hostname: "127.0.0.1",
  async fetch(req) {
    if (TAP) return tap(req);
    const body = (await req.json()) as { model: string; messages: unknown[]; stream?: boolean };
    const res = await fetch(`${upstream}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: body.model, max_tokens: 4096, messages: body.messages, stream: true }),
    });
    const translate = translator(body.model);
    const reader = res.body!.getReader();
    return new Response(
      new ReadableStream({
        type: "direct",
        async pull(controller) {
          for (;;) {
            const { done, value } = await reader.read();
            const text = translate(done ? undefined : value);
            if (text) {
              controller.write(enc.encode(text));
              controller.flush();
            }
            if (done) return controller.close();
          }
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  },
});
console.log(`floor translator on http://127.0.0.1:${server.port} -> ${upstream}`);

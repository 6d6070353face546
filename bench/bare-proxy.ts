/**
 * The baseline: a bare Bun pass-through proxy, the least any Bun gateway can do. The gateway's
 * figures are reported as ratios against this, measured in the same run.
 *
 *   bun bench/bare-proxy.ts --port 4020 --upstream http://127.0.0.1:4010
 */
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const upstream = arg("--upstream") ?? "http://127.0.0.1:4010";
const server = Bun.serve({
  port: Number(arg("--port") ?? 4020),
  hostname: "127.0.0.1",
  fetch(req) {
    const url = req.url;
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    return fetch(upstream + path, { method: req.method, headers: req.headers, body: req.body });
  },
});
console.log(`bare proxy on http://127.0.0.1:${server.port} -> ${upstream}`);

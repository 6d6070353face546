/** What every emulator records of a request it received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  /** the query string with its `?` ("" when none) */
  query: string;
  headers: Headers;
  body: string;
  /** the body parsed as JSON; undefined when empty or not JSON (see `invalidJson`) */
  json: any;
  invalidJson: boolean;
}

export async function receive(req: Request): Promise<ReceivedRequest> {
  const url = new URL(req.url);
  const body = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
  let json: unknown;
  let invalidJson = false;
  if (body) {
    try {
      json = JSON.parse(body);
    } catch {
      invalidJson = true;
    }
  }
  return { method: req.method, path: url.pathname, query: url.search, headers: req.headers, body, json, invalidJson };
}

/**
 * Fake AWS credential endpoints for the default credential chain, speaking the documented wire
 * formats: EC2 instance metadata (IMDSv2: a PUT for a session token, then token-authenticated
 * GETs), the ECS/EKS container credentials endpoint (optional Authorization token) and STS
 * AssumeRoleWithWebIdentity (form POST, XML answer). Each hands out the credentials a test sets
 * and counts the calls.
 */
export interface FakeCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  /** ISO-8601 */
  Expiration: string;
}

export interface CredentialEndpoints {
  origin: string;
  /** what the next fetch of credentials returns */
  credentials: FakeCredentials;
  /** the container endpoint's required Authorization value (undefined: none required) */
  containerToken: string | undefined;
  calls: { imdsToken: number; imdsCredentials: number; container: number; sts: number };
  /** the last STS form received */
  lastStsForm: URLSearchParams | undefined;
  /** the IMDS role name ("" for an instance without a role) */
  role: string;
  stop(): void;
}

export const CONTAINER_PATH = "/v2/credentials/task-1234";
const IMDS_TOKEN = "AQAEAFakeImdsSessionToken==";

export function fakeCredentials(n: number, expiresInMs = 6 * 3600_000): FakeCredentials {
  return {
    AccessKeyId: `ASIAFAKE${String(n).padStart(12, "0")}`,
    SecretAccessKey: `fakeSecret${n}/abcdefghijklmnopqrstuvwxyz0123`,
    Token: `IQoJFakeSessionToken${n}==`,
    Expiration: new Date(Date.now() + expiresInMs).toISOString(),
  };
}

export function startCredentialEndpoints(): CredentialEndpoints {
  const ep: CredentialEndpoints = {
    origin: "",
    credentials: fakeCredentials(1),
    containerToken: undefined,
    calls: { imdsToken: 0, imdsCredentials: 0, container: 0, sts: 0 },
    lastStsForm: undefined,
    role: "gateway-instance-role",
    stop: () => void server.stop(true),
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/latest/api/token") {
        if (req.method !== "PUT" || !req.headers.get("x-aws-ec2-metadata-token-ttl-seconds")) return new Response("", { status: 400 });
        ep.calls.imdsToken++;
        return new Response(IMDS_TOKEN);
      }
      if (url.pathname.startsWith("/latest/meta-data/iam/security-credentials/")) {
        if (req.headers.get("x-aws-ec2-metadata-token") !== IMDS_TOKEN) return new Response("", { status: 401 });
        const role = decodeURIComponent(url.pathname.slice("/latest/meta-data/iam/security-credentials/".length));
        if (role === "") return ep.role ? new Response(`${ep.role}\n`) : new Response("", { status: 404 });
        if (role !== ep.role) return new Response("", { status: 404 });
        ep.calls.imdsCredentials++;
        return Response.json({ Code: "Success", LastUpdated: new Date().toISOString(), Type: "AWS-HMAC", ...ep.credentials });
      }
      if (url.pathname === CONTAINER_PATH) {
        if (ep.containerToken !== undefined && req.headers.get("authorization") !== ep.containerToken) return new Response("", { status: 401 });
        ep.calls.container++;
        return Response.json({ RoleArn: "arn:aws:iam::123456789012:role/task", ...ep.credentials });
      }
      if (url.pathname === "/" && req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        ep.lastStsForm = form;
        ep.calls.sts++;
        if (form.get("Action") !== "AssumeRoleWithWebIdentity" || !form.get("WebIdentityToken")) {
          return new Response("<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>Missing token</Message></Error></ErrorResponse>", { status: 400 });
        }
        const c = ep.credentials;
        return new Response(
          `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>` +
            `<Credentials><AccessKeyId>${c.AccessKeyId}</AccessKeyId><SecretAccessKey>${c.SecretAccessKey}</SecretAccessKey>` +
            `<SessionToken>${c.Token}</SessionToken><Expiration>${c.Expiration}</Expiration></Credentials>` +
            `<SubjectFromWebIdentityToken>system:serviceaccount:llm:gateway</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
          { headers: { "content-type": "text/xml" } },
        );
      }
      return new Response("", { status: 404 });
    },
  });
  ep.origin = `http://127.0.0.1:${server.port}`;
  return ep;
}

/**
 * The image recipe and the Kubernetes manifests, linted: every YAML document parses and has what
 * the API server requires; the Deployment has 2+ replicas, probes on /healthz/ready and a non-root
 * user; the ConfigMap's config loads with this gateway and every variable it uses comes from the
 * Secret; the Dockerfile ends on a distroless, non-root stage with a health check.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { loadConfigText } from "../../src/config/load.ts";

const ROOT = resolve(import.meta.dir, "../..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

type Doc = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: any };

function docs(file: string): Doc[] {
  return parseAllDocuments(read(file)).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Doc;
  });
}

describe("deploy/ manifests", () => {
  const kustomization = docs("deploy/kustomization.yaml")[0]!;
  const all = (kustomization.resources as string[]).flatMap((f) => docs(`deploy/${f}`));
  const find = (kind: string, name: string) => {
    const d = all.find((x) => x.kind === kind && x.metadata.name === name);
    if (!d) throw new Error(`no ${kind} ${name}`);
    return d;
  };

  test("every document has apiVersion, kind and metadata.name", () => {
    expect(all.map((d) => d.kind).sort()).toEqual(["ConfigMap", "Deployment", "Deployment", "Secret", "Service", "Service"]);
    for (const d of all) {
      expect(typeof d.apiVersion).toBe("string");
      expect(typeof d.kind).toBe("string");
      expect(d.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  test("the Deployment: 2+ replicas, readiness and liveness probes, non-root, config and keys mounted", () => {
    const dep = find("Deployment", "agentgateway");
    expect(dep.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(dep.spec.selector.matchLabels).toEqual(dep.spec.template.metadata.labels);
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe("/healthz/ready");
    expect(c.livenessProbe.httpGet.path).toBe("/healthz/ready");
    const ports = Object.fromEntries(c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
    expect(ports).toEqual({ http: 4000, metrics: 15020, readiness: 15021 });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).not.toBe(0);
    expect(c.envFrom[0].secretRef.name).toBe(find("Secret", "agentgateway-keys").metadata.name);
    expect(pod.volumes[0].configMap.name).toBe(find("ConfigMap", "agentgateway-config").metadata.name);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
  });

  test("the image is named once, in the kustomization, with no placeholder to edit", () => {
    const image = find("Deployment", "agentgateway").spec.template.spec.containers[0].image as string;
    const override = (kustomization.images as { name: string; newTag?: string; newName?: string }[]).find((i) => i.name === image);
    expect(override?.newTag).toBe(JSON.parse(read("package.json")).version);
    expect(`${image}:${override?.newTag}`).not.toMatch(/OWNER|example/i);
  });

  test("the Service selects the gateway's pods; Redis has a Deployment and a Service", () => {
    const svc = find("Service", "agentgateway");
    expect(svc.spec.selector).toEqual(find("Deployment", "agentgateway").spec.template.metadata.labels);
    const redis = find("Deployment", "agentgateway-redis");
    expect(find("Service", "agentgateway-redis").spec.selector).toEqual(redis.spec.template.metadata.labels);
    expect(find("Service", "agentgateway-redis").spec.ports[0].port).toBe(6379);
  });

  test("the ConfigMap's config loads, with every variable it uses taken from the Secret", () => {
    const text: string = find("ConfigMap", "agentgateway-config").data["config.yaml"];
    const secret: Record<string, string> = find("Secret", "agentgateway-keys").stringData;
    const used = [...text.replace(/^\s*#.*$/gm, "").matchAll(/\$\{?([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    for (const v of used) expect(Object.keys(secret)).toContain(v);
    const pod = find("Deployment", "agentgateway").spec.template.spec;
    const podEnv: Record<string, string> = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    const loaded = loadConfigText(text, "configmap", { env: { ...secret, ...podEnv } });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    expect([...loaded.value.binds.keys()]).toEqual([4000]);
    // the replicas share their limits through the Redis of redis.yaml
    expect(text).toMatch(/^\s+redis: \{url: \$REDIS_URL/m);
    expect(secret.REDIS_URL).toBe(`redis://${find("Service", "agentgateway-redis").metadata.name}:6379`);
    // Kubernetes kills the pod only after the gateway's own drain deadline
    expect(loaded.value.termination.minMs).toBeGreaterThan(0);
    expect(loaded.value.termination.maxMs).toBeLessThan(pod.terminationGracePeriodSeconds * 1000);
    expect(loaded.value.stats).toEqual({ hostname: "::", port: 15020 });
    expect(loaded.value.readiness).toEqual({ hostname: "::", port: 15021 });
  });

  test("kubectl renders the kustomization, when kubectl is there", () => {
    if (!Bun.which("kubectl")) return;
    const r = Bun.spawnSync(["kubectl", "kustomize", join(ROOT, "deploy")]);
    expect(r.exitCode).toBe(0);
    expect(parseAllDocuments(r.stdout.toString()).length).toBe(all.length);
  });
});

describe("Dockerfile", () => {
  const lines = read("Dockerfile")
    .replace(/\\\n/g, " ")
    .split("\n")
    .filter((l) => l.trim() && !l.trim().startsWith("#"));
  const instr = lines.map((l) => {
    const [op, ...rest] = l.trim().split(/\s+/);
    return { op: op!.toUpperCase(), args: rest.join(" ") };
  });
  const final = instr.slice(instr.map((i) => i.op).lastIndexOf("FROM"));

  test("only known instructions", () => {
    const known = new Set(["FROM", "WORKDIR", "COPY", "RUN", "ARG", "ENV", "USER", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD", "LABEL"]);
    for (const i of instr) expect(known.has(i.op)).toBe(true);
  });

  test("the final stage is distroless, runs as a non-root user, checks /healthz/ready", () => {
    expect(final[0]!.args).toMatch(/^gcr\.io\/distroless\/.+:nonroot$/);
    const user = final.find((i) => i.op === "USER")!.args;
    expect(user.split(":")[0]).not.toMatch(/^(0|root)$/);
    const health = final.find((i) => i.op === "HEALTHCHECK")!.args;
    expect(health).toContain("CMD [");
    expect(health).toContain("/healthz/ready");
    expect(JSON.parse(final.find((i) => i.op === "ENTRYPOINT")!.args)).toEqual(["/usr/local/bin/agentgateway"]);
  });

  test("the image lifts Bun's 256-request fetch cap in its environment (no restart at start-up)", () => {
    expect(final.filter((i) => i.op === "ENV").map((i) => i.args)).toContain("BUN_CONFIG_MAX_HTTP_REQUESTS=65535");
  });

  test("every COPY source from the build context exists and is not ignored", () => {
    const ignored = read(".dockerignore").split("\n").filter(Boolean);
    for (const i of instr.filter((x) => x.op === "COPY" && !x.args.startsWith("--from"))) {
      const sources = i.args.split(/\s+/).slice(0, -1);
      for (const s of sources) {
        expect(existsSync(join(ROOT, s))).toBe(true);
        expect(ignored).not.toContain(s);
      }
    }
  });

  test("the build stage's Bun is the project's Bun", () => {
    const pkg = JSON.parse(read("package.json"));
    expect(instr[0]!.args).toStartWith(`oven/bun:${pkg.devDependencies.bun.replace(/^[^0-9]*/, "")} `);
  });
});

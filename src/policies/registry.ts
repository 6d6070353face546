/**
 * Every policy the gateway implements: one module per file, one line here. The config schema
 * takes each module's schema at the levels it allows; agentgateway fields not listed are
 * declared "not supported yet" (src/config/schema/policies.ts).
 */
import { ai } from "./ai.ts";
import { apiKey } from "./api-key.ts";
import { authorization } from "./authorization.ts";
import { basicAuth } from "./basic-auth.ts";
import { budgets } from "./budgets.ts";
import { buffer } from "./buffer.ts";
import { cors } from "./cors.ts";
import { csrf } from "./csrf.ts";
import { delay } from "./delay.ts";
import { directResponse } from "./direct-response.ts";
import { extAuthz } from "./ext-authz/index.ts";
import { jwtAuth } from "./jwt-auth.ts";
import { localRateLimit } from "./local-rate-limit.ts";
import { remoteRateLimit } from "./remote-rate-limit/index.ts";
import { backendAuth } from "./backend-auth.ts";
import { backendTls } from "./backend-tls.ts";
import { requestHeaderModifier } from "./request-header-modifier.ts";
import { requestMirror } from "./request-mirror.ts";
import { requestRedirect } from "./request-redirect.ts";
import { responseHeaderModifier } from "./response-header-modifier.ts";
import { health } from "./health.ts";
import { retry } from "./retry.ts";
import { timeout } from "./timeout.ts";
import { transformations } from "./transformations.ts";
import type { PolicyModule } from "./types.ts";
import { urlRewrite } from "./url-rewrite.ts";

export const POLICIES: readonly PolicyModule[] = [
  // who may call, then how much (agentgateway's order: cors, jwt, basic auth, API key, authorization, rate limits)
  cors,
  csrf,
  jwtAuth,
  basicAuth,
  apiKey,
  // the external service after the gateway's own credential checks (their identity is in the request it judges)
  extAuthz,
  authorization,
  localRateLimit,
  remoteRateLimit,
  budgets,
  // answers of the gateway's own, after the request was allowed and counted
  requestRedirect,
  directResponse,
  urlRewrite,
  // fault injection: latency before the backend
  delay,
  // after the filters that strip credentials were compiled: the copy runs their send hooks
  requestMirror,
  buffer,
  requestHeaderModifier,
  responseHeaderModifier,
  // before backendAuth: its send hook edits the upstream request before any credential is on it
  transformations,
  backendTls,
  backendAuth,
  ai,
  timeout,
  retry,
  health,
];

export const POLICY_BY_KEY: ReadonlyMap<string, PolicyModule> = new Map(POLICIES.map((p) => [p.key, p]));

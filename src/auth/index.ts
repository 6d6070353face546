/**
 * Cloud credential providers for `backendAuth` (gcp, aws, azure): one module each in this
 * folder, one line each here. A kind without a line fails config loading with "not supported yet".
 */
import type { CloudAuthFactories } from "../policies/backend-auth.ts";
import { awsAuth } from "./aws.ts";
import { azureAuthFactory } from "./azure.ts";
import { gcpAuthFactory } from "./gcp.ts";

export const cloudAuth: CloudAuthFactories = {
  gcp: gcpAuthFactory,
  aws: awsAuth,
  azure: azureAuthFactory,
};

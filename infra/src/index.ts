/**
 * The Pulumi program (`main` of Pulumi.yaml): validate the stack config, build the estate, and
 * export what the pipeline reads. Every value here is a stack output.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config.js";
import { createPlatform } from "./platform.js";

const outputs = createPlatform(loadStackConfig(), pulumi.getProject(), pulumi.getStack());

export const resourceGroupName = outputs.resourceGroupName;
export const acrLoginServer = outputs.acrLoginServer;
export const clusterName = outputs.clusterName;
export const ingressHost = outputs.ingressHost;
export const publicUrl = outputs.publicUrl;
export const cosmosEndpoint = outputs.cosmosEndpoint;
export const cosmosDatabase = outputs.cosmosDatabase;
export const keyVaultUri = outputs.keyVaultUri;
export const appInsightsConnectionString = outputs.appInsightsConnectionString;
export const mlWorkspaceName = outputs.mlWorkspaceName;
export const mlComputeName = outputs.mlComputeName;
export const mlflowTrackingUri = outputs.mlflowTrackingUri;
export const servingClientId = outputs.servingClientId;
export const trainingClientId = outputs.trainingClientId;
export const prometheusQueryEndpoint = outputs.prometheusQueryEndpoint;
export const kubeconfig = outputs.kubeconfig;
export const servingNamespace = outputs.servingNamespace;
export const trafficSplit = outputs.trafficSplit;
/** The GARCH volatility service's URL (`mlops smoke --garch --url <it>`); undefined without `garch` config. */
export const garchUrl = outputs.garchUrl;
/** The workflows' identities and runner subnet; undefined on a stack without `pipeline` config. */
export const pipeline = outputs.pipeline;

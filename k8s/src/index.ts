/**
 * `@mlops/k8s`: the serving plane on Kubernetes as Pulumi components —
 * namespace, champion/challenger deployments, NGINX canary split,
 * prediction-volume autoscaling — plus the HPA simulator that judges the
 * autoscaling behaviour offline.
 */
export * from "./canary-ingress.js";
export * from "./garch-service.js";
export * from "./hpa-simulator.js";
export * from "./image.js";
export * from "./model-deployment.js";
export * from "./names.js";
export * from "./prediction-autoscaler.js";
export * from "./prometheus-scrape.js";
export * from "./resources.js";
export * from "./scaling.js";
export * from "./secret-env.js";
export * from "./serving-namespace.js";
export * from "./serving-stack.js";
export * from "./traces.js";

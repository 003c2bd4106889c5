/**
 * `@mlops/k8s`: the serving plane on Kubernetes as Pulumi components —
 * namespace, champion/challenger deployments, the traffic split (Gateway
 * API or NGINX canary),
 * prediction-volume autoscaling — plus the HPA simulator that judges the
 * autoscaling behaviour offline.
 */
export * from "./addon-crds.js";
export * from "./canary-ingress.js";
export * from "./garch-service.js";
export * from "./gateway-route.js";
export * from "./hpa-simulator.js";
export * from "./image.js";
export * from "./keda-operator.js";
export * from "./key-vault-secrets.js";
export * from "./model-deployment.js";
export * from "./names.js";
export * from "./pod-names.js";
export * from "./prediction-autoscaler.js";
export * from "./prometheus-scrape.js";
export * from "./quantity.js";
export * from "./replicas.js";
export * from "./resources.js";
export * from "./routes.js";
export * from "./scaling.js";
export * from "./secret-env.js";
export * from "./serving-namespace.js";
export * from "./serving-stack.js";
export * from "./serving-workload.js";
export * from "./traces.js";
export * from "./traffic-split.js";

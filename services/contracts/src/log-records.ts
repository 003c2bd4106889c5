/**
 * The log records the saved queries, the dashboard and the log alerts read. The server writes
 * pino JSON lines to stdout; on AKS, Container Insights stores each line in `ContainerLogV2`,
 * whose `LogMessage` column holds a JSON line as a dynamic object (fields readable as
 * `LogMessage.status` without parse_json: learn.microsoft.com/azure/azure-monitor/reference/
 * tables/containerlogv2). Both sides import the message texts and field names from here, so a
 * renamed field cannot silently empty a dashboard tile.
 */

/** pino's numeric `level` values (`LogMessage.level`). */
export const PINO_LEVELS = { info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** One line per answered request (the server's `onResponse` hook). */
export const REQUEST_LOG = {
  /** `LogMessage.msg`. */
  message: "served",
  /**
   * Field names: HTTP method, path with query, status code, milliseconds to answer, and on a
   * prediction the id it was stored under (`request_id` in its answer; a batch's rows are
   * `<id>.<row>`), beside the correlation id `reqId`.
   */
  fields: {
    method: "method",
    url: "url",
    status: "status",
    ms: "ms",
    predictionId: "predictionId",
  },
} as const;

/**
 * One line per model loaded at start, with how long the load took, and one each time a promotion
 * moves the default GARCH reference to another version.
 */
export const MODEL_LOADED_LOG = {
  message: "model loaded",
  /** `name@version`, its kind, milliseconds from registry lookup to a model ready to serve. */
  fields: { model: "model", kind: "kind", ms: "ms" },
} as const;

/** Request paths that are predictions: classifier and GARCH service (`/predict…`), `/garch/…`. */
export const PREDICTION_PATH_PREFIXES = ["/predict", "/garch/"] as const;

/** Paths of the health routes (probes and the GARCH service's `/health`). */
export const HEALTH_PATH_PREFIX = "/health";

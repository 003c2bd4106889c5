/**
 * Fastify's per-request logger, built on demand. Fastify gives every request a pino child bound to
 * its id (`request.log`), and building one serializes the binding: ~1.5 % of a prediction's CPU,
 * though at `warn` a served prediction writes no line. `lazyChildLogger` hands out a stand-in that
 * builds the child at the first call at an enabled level, so every line written is the eager
 * child's, and a call below the level costs one comparison. `bindLog` adds a binding to a
 * request's lines (the prediction's id) without building the child either.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from "fastify";

/** pino's standard levels, the only ones the server configures (`LOG_LEVEL`). */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type WrittenLevel = keyof typeof LEVELS;

/** Whether `logger` writes lines at `level`; at `silent` it writes none. */
export function levelEnabled(logger: Pick<FastifyBaseLogger, "level">, level: WrittenLevel) {
  const threshold: number | undefined = LEVELS[logger.level as WrittenLevel];
  return threshold !== undefined && LEVELS[level] >= threshold;
}

type Bindings = Parameters<FastifyBaseLogger["child"]>[0];

/** pino's `setBindings`, which Fastify's logger type leaves out (its null logger has none). */
interface Rebindable {
  setBindings?(bindings: Bindings): void;
}

/** A request's logger that becomes `parent.child(bindings)` when it first has a line to write. */
class LazyChildLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private bindings: Bindings,
  ) {}

  private get real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings);
    return this.#child;
  }

  /** Adds `bindings` to the lines written from now on, to the child's when it is built. */
  setBindings(bindings: Bindings): void {
    if (this.#child === undefined) this.bindings = { ...this.bindings, ...bindings };
    else (this.#child as Rebindable).setBindings?.(bindings);
  }

  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  /** Passes `args` to the child's `level` method, unless no child exists and the level is off. */
  private write(level: WrittenLevel, args: unknown[]): void {
    if (this.#child === undefined && !levelEnabled(this.parent, level)) return;
    (this.real[level] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]) {
    this.write("fatal", args);
  }
  error(...args: unknown[]) {
    this.write("error", args);
  }
  warn(...args: unknown[]) {
    this.write("warn", args);
  }
  info(...args: unknown[]) {
    this.write("info", args);
  }
  debug(...args: unknown[]) {
    this.write("debug", args);
  }
  trace(...args: unknown[]) {
    this.write("trace", args);
  }
  silent() {}

  child(...args: Parameters<FastifyBaseLogger["child"]>): FastifyBaseLogger {
    return this.real.child(...args);
  }
}

/** Adds `bindings` to the lines a request's `log` writes from now on (pino's `setBindings`). */
export function bindLog(log: FastifyBaseLogger, bindings: Bindings): void {
  (log as Rebindable).setBindings?.(bindings);
}

/**
 * Fastify's `childLoggerFactory`: a lazy child for a request, or the eager one when the route
 * asks for its own level or serializers (the child's options).
 */
export const lazyChildLogger: NonNullable<FastifyServerOptions["childLoggerFactory"]> = (
  logger,
  bindings,
  options,
) =>
  Object.keys(options).length > 0
    ? logger.child(bindings, options)
    : new LazyChildLogger(logger, bindings);

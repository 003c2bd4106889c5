import Fastify, {
  type FastifyBaseLogger,
  type FastifyServerOptions,
  LogController,
  type LogLevel,
} from "fastify";
import { describe, expect, it } from "vitest";
import { bindLog, lazyChildLogger, levelEnabled } from "./request-logger.js";

describe("levelEnabled", () => {
  it("compares pino's standard levels, and writes nothing when silent", () => {
    expect(levelEnabled({ level: "warn" }, "error")).toBe(true);
    expect(levelEnabled({ level: "warn" }, "warn")).toBe(true);
    expect(levelEnabled({ level: "warn" }, "info")).toBe(false);
    expect(levelEnabled({ level: "trace" }, "trace")).toBe(true);
    expect(levelEnabled({ level: "silent" }, "fatal")).toBe(false);
  });
});

/** The lines (without time, pid and host) a server at `level` writes for one request. */
async function lines(
  level: string,
  factory: FastifyServerOptions["childLoggerFactory"],
  route: (log: FastifyBaseLogger) => void,
  routeLevel?: LogLevel,
) {
  const out: Record<string, unknown>[] = [];
  const stream = {
    write: (line: string) => {
      const { time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(line);
      out.push(rest);
    },
  };
  const app = Fastify({
    logger: { level, stream },
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: factory,
  });
  app.get("/", { logLevel: routeLevel }, (request) => {
    route(request.log);
    return { id: request.id };
  });
  const res = await app.inject({ url: "/" });
  await app.close();
  return { lines: out, id: res.json().id as string };
}

describe("lazyChildLogger", () => {
  const scenarios: [string, (log: FastifyBaseLogger) => void][] = [
    [
      "lines below and at the level",
      (log) => {
        log.debug("hidden");
        log.info({ k: 1 }, "maybe");
        log.warn({ k: 2 }, "shown %s", "here");
        log.error(new Error("boom"));
      },
    ],
    ["a grandchild", (log) => log.child({ extra: true }).warn("from the grandchild")],
    [
      "bindings added before and after the first line",
      (log) => {
        bindLog(log, { before: 1 });
        log.warn("bound once");
        bindLog(log, { after: 2 });
        log.warn("bound twice");
      },
    ],
    [
      "a level raised on the request's logger",
      (log) => {
        log.level = "debug";
        log.debug("now written");
      },
    ],
  ];

  for (const [what, route] of scenarios) {
    for (const level of ["debug", "info", "warn", "silent"]) {
      it(`writes what the eager child writes: ${what}, at ${level}`, async () => {
        const lazy = await lines(level, lazyChildLogger, route);
        const eager = await lines(level, undefined, route);
        expect(lazy.lines.map((l) => ({ ...l, reqId: l.reqId === lazy.id }))).toEqual(
          eager.lines.map((l) => ({ ...l, reqId: l.reqId === eager.id })),
        );
      });
    }
  }

  it("binds the request id to every line it writes", async () => {
    const { lines: out, id } = await lines("warn", lazyChildLogger, (log) => {
      log.info("hidden");
      log.warn("shown");
    });
    expect(out).toEqual([{ level: 40, reqId: id, msg: "shown" }]);
  });

  it("binds a field at no level's cost until a line is written, on a route's own level too", async () => {
    const route = (log: FastifyBaseLogger) => {
      bindLog(log, { predictionId: "p-1" });
      log.error("written");
    };
    for (const routeLevel of [undefined, "error" as const]) {
      const { lines: out, id } = await lines("warn", lazyChildLogger, route, routeLevel);
      expect(out).toEqual([{ level: 50, reqId: id, predictionId: "p-1", msg: "written" }]);
    }
  });

  it("reports the server's level until a line is written, and keeps a route's own level", async () => {
    let seen = "";
    await lines("info", lazyChildLogger, (log) => {
      seen = log.level;
    });
    expect(seen).toBe("info");
    const { lines: out } = await lines(
      "info",
      lazyChildLogger,
      (log) => {
        seen = log.level;
        log.warn("below the route's level");
        log.error("written");
      },
      "error",
    );
    expect(seen).toBe("error");
    expect(out.map((l) => l.msg)).toEqual(["written"]);
  });
});

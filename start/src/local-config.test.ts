import { formatModelRef } from "@mlops/contracts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { localConfigOrExit } from "./local-config.js";

/** Runs `localConfigOrExit(env)` with the process's exit turned into a throw; what it printed. */
async function exitOf(env: NodeJS.ProcessEnv): Promise<{ code: unknown; stderr: string }> {
  let stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process, "exit").mockImplementation((code) => {
    throw Object.assign(new Error("exit"), { code });
  });
  const error = await localConfigOrExit(env).then(
    () => expect.unreachable("it should exit"),
    (e: { code: unknown }) => e,
  );
  return { code: error.code, stderr };
}

describe("localConfigOrExit", () => {
  afterEach(() => vi.restoreAllMocks());

  it("layers the local defaults under the environment", async () => {
    const { config } = await localConfigOrExit({});
    expect(config.host).toBe("127.0.0.1");
    expect(config.workers).toBe("auto");
    expect(config.logLevel).toBe("warn");
    expect(config.garchModel && formatModelRef(config.garchModel)).toBe("dem2gbp@champion");

    const set = await localConfigOrExit({ HOST: "0.0.0.0", MLOPS_WORKERS: "1", LOG_LEVEL: "info" });
    expect(set.config.host).toBe("0.0.0.0");
    expect(set.config.logLevel).toBe("info");
    expect(set.processes).toBe(1);
  });

  it.each([
    [{ PORT: "abc" }, "PORT: must be an integer"],
    [{ PORT: "70000" }, "PORT: Too big: expected number to be <=65535"],
    [
      { MLOPS_MODE: "bogus" },
      'MLOPS_MODE: Invalid option: expected one of "single"|"split"|"garch"',
    ],
  ])("exits 1 on %o, naming the variable and the rule", async (env, rule) => {
    const { code, stderr } = await exitOf(env);
    expect(code).toBe(1);
    expect(stderr).toBe(`mlops serving: serving config is invalid: ${rule}\n`);
  });
});

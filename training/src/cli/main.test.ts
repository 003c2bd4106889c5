import { describe, expect, it } from "vitest";
import type { CliIo } from "./context.js";
import { main } from "./main.js";

async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
    isTTY: false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe("the mlops program", () => {
  it("mounts every command group", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).sort();
    expect(commands).toEqual([
      "ab",
      "cost",
      "demo",
      "evaluate",
      "forest",
      "garch",
      "gate",
      "help",
      "loadtest",
      "models",
      "promote",
      "register",
      "release",
      "runs",
      "smoke",
      "sweep",
      "sweep-trial",
      "train",
    ]);
  });

  it("exits with commander's code on usage errors, and 1 with the message on failures", async () => {
    const unknown = await run(["nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'nope'/);
    const failed = await run(["release", "plan", "--decision", "/nonexistent/decision.json"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error: --decision must be a readable JSON file/);
  });
});

/**
 * The CrossGuard pack itself, as `pulumi preview --policy-pack infra/policy` runs it: the pack is
 * started the way the CLI starts it (its runtime options in PulumiPolicy.yaml: node with tsx),
 * prints its gRPC port, and is asked over the Analyzer protocol what the CLI asks: which policies
 * it enforces, and what it finds in a resource and in a stack.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type * as grpc from "@grpc/grpc-js";
import type * as analyzer from "@pulumi/pulumi/proto/analyzer_pb.js";
import type { Struct as StructType } from "google-protobuf/google/protobuf/struct_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { rules, stackRules } from "./rules.js";

const require = createRequire(import.meta.url);
const grpcJs = require("@grpc/grpc-js") as typeof grpc;
const pb = require("@pulumi/pulumi/proto/analyzer_pb") as typeof analyzer;
const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
  AnalyzerClient: new (address: string, credentials: grpc.ChannelCredentials) => AnalyzerRpc;
};
const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as {
  Empty: new () => unknown;
};
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: typeof StructType;
};

type Callback<T> = (error: grpc.ServiceError | null, response: T) => void;
/** The Analyzer calls this test makes. */
interface AnalyzerRpc {
  getAnalyzerInfo(request: unknown, callback: Callback<analyzer.AnalyzerInfo>): void;
  analyze(request: analyzer.AnalyzeRequest, callback: Callback<analyzer.AnalyzeResponse>): void;
  analyzeStack(
    request: analyzer.AnalyzeStackRequest,
    callback: Callback<analyzer.AnalyzeResponse>,
  ): void;
  close(): void;
}

const call = <T>(rpc: (callback: Callback<T>) => void) =>
  new Promise<T>((resolve, reject) =>
    rpc((error, response) => (error ? reject(error) : resolve(response))),
  );

const packDir = fileURLToPath(new URL(".", import.meta.url));
let pack: ChildProcess;
let client: AnalyzerRpc;

beforeAll(async () => {
  // What the CLI runs for a nodejs pack with these runtime options.
  const runtime = parse(readFileSync(new URL("PulumiPolicy.yaml", import.meta.url), "utf8")) as {
    runtime: { name: string; options: { nodeargs: string } };
  };
  expect(runtime.runtime.name).toBe("nodejs");
  pack = spawn(process.execPath, [...runtime.runtime.options.nodeargs.split(" "), "index.ts"], {
    cwd: packDir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    pack.stdout?.on("data", (chunk) => {
      out += chunk;
      const match = /^(\d+)\s/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    pack.once("exit", (code) => reject(new Error(`the policy pack exited with ${code}`)));
  });
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpcJs.credentials.createInsecure());
}, 60_000);

afterAll(() => {
  client?.close();
  pack?.kill();
});

/** Engine resource options: the pack refuses resources without them, as from an old CLI. */
const options = () => new pb.AnalyzerResourceOptions();

/** A resource of the stack as the engine sends it. */
function stackResource(type: string, name: string, props: object, dependsOn: string[] = []) {
  return new pb.AnalyzerResource()
    .setType(type)
    .setName(name)
    .setUrn(urn(type, name))
    .setProperties(Struct.fromJavaScript(props as Record<string, never>))
    .setOptions(options())
    .setDependenciesList(dependsOn);
}
const urn = (type: string, name: string) => `urn:pulumi:prod::mlops-platform::${type}::${name}`;
const COSMOS = "azure-native:cosmosdb:DatabaseAccount";
const LOCK = "azure-native:authorization:ManagementLockByScope";

/** `policy: message` per diagnostic; CrossGuard's message is the description, a newline, ours. */
const violationsOf = (response: analyzer.AnalyzeResponse) =>
  response.getDiagnosticsList().map((d) => `${d.getPolicyname()}: ${d.getMessage()}`);

describe("the policy pack over the Analyzer protocol", () => {
  it("enforces every rule and stack rule, each as mandatory", async () => {
    const info = await call<analyzer.AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb));
    expect(info.getName()).toBe("mlops-platform");
    const policies = info.getPoliciesList();
    expect(policies.map((p) => p.getName()).sort()).toEqual(
      [...rules, ...stackRules].map((r) => r.name).sort(),
    );
    for (const p of policies) expect(p.getEnforcementlevel()).toBe(pb.EnforcementLevel.MANDATORY);
  });

  it("judges one resource by its inputs", async () => {
    const component = (disableLocalAuth: boolean) =>
      new pb.AnalyzeRequest()
        .setType("azure-native:applicationinsights:Component")
        .setName("telemetry-appinsights")
        .setUrn(urn("azure-native:applicationinsights:Component", "telemetry-appinsights"))
        .setProperties(
          Struct.fromJavaScript({
            disableLocalAuth,
            tags: { project: "p", environment: "prod", owner: "o" },
          }),
        )
        .setOptions(options());
    const flagged = await call<analyzer.AnalyzeResponse>((cb) =>
      client.analyze(component(false), cb),
    );
    expect(violationsOf(flagged)).toEqual([
      expect.stringMatching(
        /^app-insights-entra-only: .*\ntelemetry-appinsights: disableLocalAuth must be true/s,
      ),
    ]);
    const clean = await call<analyzer.AnalyzeResponse>((cb) => client.analyze(component(true), cb));
    expect(violationsOf(clean)).toEqual([]);
  });

  it("judges the stack by the engine's dependencies: a lock counts for the resource it depends on", async () => {
    const cosmos = stackResource(COSMOS, "cosmos-account", { disableLocalAuth: true });
    const unlocked = await call<analyzer.AnalyzeResponse>((cb) =>
      client.analyzeStack(new pb.AnalyzeStackRequest().setResourcesList([cosmos]), cb),
    );
    expect(violationsOf(unlocked)).toContainEqual(
      expect.stringMatching(
        /^stateful-resources-locked: .*\ncosmos-account: no CanNotDelete lock/s,
      ),
    );
    const lock = stackResource(LOCK, "guardrails-lock-cosmos", { level: "CanNotDelete" }, [
      urn(COSMOS, "cosmos-account"),
    ]);
    const locked = await call<analyzer.AnalyzeResponse>((cb) =>
      client.analyzeStack(new pb.AnalyzeStackRequest().setResourcesList([cosmos, lock]), cb),
    );
    expect(violationsOf(locked).filter((v) => v.startsWith("stateful-resources-locked"))).toEqual(
      [],
    );
  });
});

/**
 * A stand-in for the one Pulumi CLI command `mlops release plan --apply` runs, so the release path
 * can be driven end to end on a machine without the CLI (none is installable here): `pulumi config
 * set --stack S --config-file F --path --type int|string <key.path> -- <value>`, with the CLI's
 * semantics for it: the key is in the project's namespace (named by the `Pulumi.yaml` in the
 * working directory), `--path` sets a field inside a structured value, `--type` keeps the YAML
 * type, and the rest of the file (comments, order) is left as it was. Anything else exits 2, so a
 * change in what the release code asks of the CLI fails the test instead of passing unnoticed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseDocument } from "yaml";

/** @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`pulumi (test double): ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
/** @param {string} name */
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) fail(`missing ${name}`);
  return args[i + 1];
};
if (args[0] !== "config" || args[1] !== "set") fail(`unsupported command: ${args.join(" ")}`);
if (!args.includes("--path")) fail("only --path is supported");
const end = args.indexOf("--");
if (end < 0 || end + 2 !== args.length) fail("expected `-- <value>` last");
const key = args[end - 1];
const raw = args[end + 1];
const type = flag("--type");
const value = type === "int" ? Number(raw) : type === "string" ? raw : fail(`--type ${type}`);
if (typeof value === "number" && !Number.isInteger(value)) fail(`not an int: ${raw}`);
flag("--stack");

const project = parse(readFileSync(join(process.cwd(), "Pulumi.yaml"), "utf8")).name;
const file = flag("--config-file");
const doc = parseDocument(readFileSync(file, "utf8"));
const [head, ...rest] = key.split(".");
doc.setIn(["config", `${project}:${head}`, ...rest], value);
writeFileSync(file, doc.toString());

import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  // Progress goes to stderr: it redraws a bar only where stderr is a terminal.
  isTTY: process.stderr.isTTY === true,
});

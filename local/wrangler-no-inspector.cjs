// Starts a staged worker (local/src/worker_build.rs) with wrangler's own dev API, `unstable_startWorker`
// (the engine behind `wrangler dev`), without the DevTools inspector that `wrangler dev` always attaches
// and cannot be told to leave out. Used to measure what the inspector costs (e2e/benches/scale.rs); the
// tests run `wrangler dev` itself. Run from worker/ (wrangler is resolved from its node_modules):
//
//   node local/wrangler-no-inspector.cjs CONFIG PORT PERSIST_DIR VARS_JSON ENV_FILE
//
// VARS_JSON is an object of plain-text vars; ENV_FILE holds the secrets (never on a command line). Local only, as `wrangler dev --local`. Stops on SIGTERM or
// SIGINT; exits non-zero if the worker cannot start.
"use strict";
const path = require("node:path");

let worker;
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    if (worker) await worker.dispose();
  } catch (e) {
    console.error("stopping the worker:", e);
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

async function main() {
  const [config, port, persist, varsJson, envFile] = process.argv.slice(2);
  if (!config || !port || !persist || varsJson === undefined || !envFile) {
    throw new Error("usage: wrangler-no-inspector.cjs CONFIG PORT PERSIST_DIR VARS_JSON ENV_FILE");
  }
  const { unstable_startWorker } = require(path.join(process.cwd(), "node_modules", "wrangler"));
  const bindings = {};
  for (const [name, value] of Object.entries(JSON.parse(varsJson))) {
    bindings[name] = { type: "plain_text", value: String(value) };
  }
  worker = await unstable_startWorker({
    config,
    envFiles: [path.resolve(envFile)],
    bindings,
    dev: {
      remote: false,
      inspector: false,
      testScheduled: true,
      server: { hostname: "127.0.0.1", port: Number(port) },
      persist,
    },
  });
  await worker.ready;
  console.log(`ready on http://127.0.0.1:${port} (no inspector)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

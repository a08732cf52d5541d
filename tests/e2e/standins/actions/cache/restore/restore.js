// actions/cache/restore stand-in (see ../cache.py).
const { spawnSync } = require("child_process");
const path = require("path");
const script = path.join(__dirname, "..", "cache.py");
const run = spawnSync("python3", [script, "restore"], { stdio: "inherit" });
process.exit(run.status === null ? 1 : run.status);

// actions/cache stand-in, main step: restore (see cache.py).
const { spawnSync } = require("child_process");
const path = require("path");
const run = spawnSync("python3", [path.join(__dirname, "cache.py"), "restore"], { stdio: "inherit" });
process.exit(run.status === null ? 1 : run.status);

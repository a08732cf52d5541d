// actions/cache/save stand-in (see ../cache.py).
const { spawnSync } = require("child_process");
const path = require("path");
const run = spawnSync("python3", [path.join(__dirname, "..", "cache.py"), "save"], { stdio: "inherit" });
process.exit(run.status === null ? 1 : run.status);

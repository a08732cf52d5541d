"""actions/cache stand-in: restore and save directory entries in $STANDIN_CACHE_DIR.

Run by the node wrappers (main.js, post.js, restore/restore.js, save/save.js) as
``python3 cache.py restore|post|save``; inputs arrive as INPUT_* variables, exactly as GitHub gives
them to JavaScript actions. Matching follows actions/cache: an exact ``key`` is a hit; otherwise
the newest entry whose key starts with a ``restore-keys`` line (in order) is restored as a miss.
Like the real action, every path is stored relative to the workspace (``../tmp/x`` for a path in
RUNNER_TEMP), so it restores into another run's workspace and temp directory.

An entry is ``<sha256 of key>/meta.json`` (``{"key", "created", "paths": [relative paths]}``)
plus ``files/<index>``, the copy of each path (act_harness.seed_cache writes the same layout).
Files are hard-linked into and out of the store when they can be (a uv or pip cache of hundreds
of MB then costs nothing), so a step that edits a restored file in place edits the stored entry
too; GitHub's cache would not. Not simulated: the cache version (paths, compression, OS) as part
of the match, eviction, and the 10 GB limit.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import NoReturn


def inp(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name.upper()}", default).strip()


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def store() -> Path:
    root = os.environ.get("STANDIN_CACHE_DIR")
    if not root:
        fail("STANDIN_CACHE_DIR is not set (the act harness sets it).")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def entry(key: str) -> Path:
    return store() / hashlib.sha256(key.encode()).hexdigest()


def fail(message: str) -> NoReturn:
    print(f"::error title=cache stand-in::{message}")
    sys.exit(1)


def append(variable: str, name: str, value: str) -> None:
    with open(os.environ[variable], "a", encoding="utf-8") as handle:
        handle.write(f"{name}={value}\n")


def find(key: str, restore_keys: list[str]) -> str | None:
    if (entry(key) / "meta.json").exists():
        return key
    metas = [json.loads(meta.read_text()) for meta in store().glob("*/meta.json")]
    for prefix in restore_keys:
        found = [meta for meta in metas if meta["key"].startswith(prefix)]
        if found:
            return str(max(found, key=lambda meta: meta["created"])["key"])
    return None


def link_or_copy(source: Path, target: Path) -> None:
    """Copy a file or tree, hard-linking files where the filesystem allows it."""

    def place(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=place, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        place(str(source), str(target))


def restore() -> None:
    key = inp("key")
    if not key:
        fail("Input required and not supplied: key")
    matched = find(key, lines(inp("restore-keys")))
    hit = matched == key
    if matched is not None and inp("lookup-only") != "true":
        workspace = Path(os.environ["GITHUB_WORKSPACE"])
        meta = json.loads((entry(matched) / "meta.json").read_text())
        for index, relpath in enumerate(meta["paths"]):
            target = Path(os.path.normpath(workspace / relpath))
            link_or_copy(entry(matched) / "files" / str(index), target)
    if matched is None and inp("fail-on-cache-miss") == "true":
        fail(
            f"Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: {key}"
        )
    print(f"cache stand-in: key {key!r}: " + (f"restored {matched!r}" if matched else "miss"))
    append("GITHUB_OUTPUT", "cache-hit", "true" if hit else "false")
    append("GITHUB_OUTPUT", "cache-primary-key", key)
    append("GITHUB_OUTPUT", "cache-matched-key", matched or "")
    append("GITHUB_STATE", "CACHE_KEY", key)
    append("GITHUB_STATE", "CACHE_RESULT", matched or "")


def expand(patterns: list[str]) -> list[Path]:
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    found: list[Path] = []
    excluded = {
        Path(hit).resolve()
        for pattern in patterns
        if pattern.startswith("!")
        for hit in glob.glob(str(workspace / os.path.expanduser(pattern[1:])), recursive=True)
    }
    for pattern in patterns:
        if pattern.startswith("!"):
            continue
        hits = glob.glob(str(workspace / os.path.expanduser(pattern)), recursive=True)
        found.extend(Path(hit).resolve() for hit in hits if Path(hit).resolve() not in excluded)
    return found


def save(key: str) -> None:
    if not key:
        fail("Input required and not supplied: key")
    target = entry(key)
    if (target / "meta.json").exists():
        print(f"::warning::Failed to save: cache entry with key {key!r} already exists.")
        return
    paths = expand(lines(inp("path")))
    if not paths:
        print(
            "::warning::Path Validation Error: Path(s) specified in the action for caching "
            "do(es) not exist, hence no cache is being saved."
        )
        return
    workspace = Path(os.environ["GITHUB_WORKSPACE"]).resolve()
    relpaths = [os.path.relpath(path, workspace) for path in paths]
    for index, path in enumerate(paths):
        link_or_copy(path, target / "files" / str(index))
    meta = {"key": key, "created": time.time(), "paths": relpaths}
    (target / "meta.json").write_text(json.dumps(meta))
    print(f"cache stand-in: saved {len(paths)} path(s) with key {key!r}")


def post() -> None:
    key = os.environ.get("STATE_CACHE_KEY", "")
    if key and os.environ.get("STATE_CACHE_RESULT") == key:
        print(f"Cache hit occurred on the primary key {key}, not saving cache.")
        return
    save(key)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "restore":
        restore()
    elif command == "post":
        post()
    else:
        save(inp("key"))

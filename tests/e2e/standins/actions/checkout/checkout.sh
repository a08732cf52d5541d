#!/usr/bin/env bash
# actions/checkout stand-in: the real action's ref logic (src/ref-helper.ts), a local remote.
set -euo pipefail

fail() {
  echo "::error title=checkout stand-in::$*"
  exit 1
}

[ -n "${STANDIN_GIT_REMOTES:-}" ] || fail "STANDIN_GIT_REMOTES is not set (the act harness sets it)."
[ -z "$IN_SSH_KEY" ] || fail "ssh-key is not simulated; remove it."
[ "$IN_LFS" = "false" ] || fail "lfs: $IN_LFS is not simulated; use lfs: false."
[ "$IN_SUBMODULES" = "false" ] || fail "submodules: $IN_SUBMODULES is not simulated."
[ -z "$IN_SPARSE_CHECKOUT" ] || fail "sparse-checkout is not simulated; remove it."
[ -z "$IN_FILTER" ] || fail "filter is not simulated; remove it."
[[ "$IN_FETCH_DEPTH" =~ ^[0-9]+$ ]] || fail "fetch-depth must be a whole number, got '$IN_FETCH_DEPTH'."

repository=${IN_REPOSITORY:-$GITHUB_REPOSITORY}
remote_dir="$STANDIN_GIT_REMOTES/$repository.git"
[ -d "$remote_dir" ] || fail "No local remote for repository '$repository': $remote_dir does not exist."
remote_url="file://$remote_dir"

case "$IN_PATH" in
  /* | ../* | *'/../'* | '..') fail "path '$IN_PATH' must be relative and inside the workspace." ;;
esac
dest="$GITHUB_WORKSPACE${IN_PATH:+/$IN_PATH}"

# Which ref and commit (getCheckoutInfo): the event's own ref and SHA for the workflow's repository.
ref=$IN_REF
commit=""
if [ -z "$ref" ]; then
  if [ "${repository,,}" = "${GITHUB_REPOSITORY,,}" ]; then
    ref=$GITHUB_REF
    commit=$GITHUB_SHA
  else
    ref=$(git ls-remote --symref "$remote_url" HEAD | sed -n 's/^ref: \(.*\)\tHEAD$/\1/p')
  fi
fi
if [[ "$ref" =~ ^[0-9a-fA-F]{40}$ ]]; then
  commit=$ref
  ref=""
fi

# The refspec to fetch (getRefSpec).
refspecs=()
if [ -n "$commit" ]; then
  case "$ref" in
    refs/heads/*) refspecs=("+$commit:refs/remotes/origin/${ref#refs/heads/}") ;;
    refs/pull/*) refspecs=("+$commit:refs/remotes/pull/${ref#refs/pull/}") ;;
    refs/tags/*) refspecs=("+$commit:$ref") ;;
    *) refspecs=("$commit") ;;
  esac
else
  case "$ref" in
    refs/heads/*) refspecs=("+$ref:refs/remotes/origin/${ref#refs/heads/}") ;;
    refs/pull/*) refspecs=("+$ref:refs/remotes/pull/${ref#refs/pull/}") ;;
    refs/tags/*) refspecs=("+$ref:$ref") ;;
    *) refspecs=("+refs/heads/$ref*:refs/remotes/origin/$ref*" "+refs/tags/$ref*:refs/tags/$ref*") ;;
  esac
fi

mkdir -p "$dest"
cd "$dest"
if [ -d .git ] && [ "$IN_CLEAN" = "true" ]; then
  git clean -ffdx -q
  git reset -q --hard HEAD 2>/dev/null || true
elif [ ! -d .git ]; then
  find . -mindepth 1 -delete
  git init -q
fi
git remote remove origin 2>/dev/null || true
git remote add origin "$remote_url"
git config --local gc.auto 0

if [ "$IN_FETCH_DEPTH" = "0" ]; then
  git fetch -q --prune --no-recurse-submodules origin \
    '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
  git fetch -q --prune --no-recurse-submodules origin "${refspecs[@]}"
else
  tags=(--no-tags)
  [ "$IN_FETCH_TAGS" = "true" ] && tags=()
  git fetch -q "${tags[@]}" --prune --no-recurse-submodules --depth="$IN_FETCH_DEPTH" \
    origin "${refspecs[@]}"
fi

# What to check out (getCheckoutInfo): a local branch for branch refs, otherwise a detached HEAD.
case "$ref" in
  refs/heads/*)
    branch=${ref#refs/heads/}
    git checkout -q --force -B "$branch" "refs/remotes/origin/$branch"
    ;;
  refs/pull/*) git checkout -q --force "refs/remotes/pull/${ref#refs/pull/}" ;;
  refs/*) git checkout -q --force "${commit:-$ref}" ;;
  "") git checkout -q --force "$commit" ;;
  *)
    if git rev-parse -q --verify "refs/remotes/origin/$ref" >/dev/null; then
      git checkout -q --force -B "$ref" "refs/remotes/origin/$ref"
    elif git rev-parse -q --verify "refs/tags/$ref" >/dev/null; then
      git checkout -q --force "refs/tags/$ref"
    else
      fail "A branch or tag with the name '$ref' could not be found in $repository."
    fi
    ;;
esac
if [ -n "$commit" ] && [ "$(git rev-parse HEAD)" != "$commit" ]; then
  fail "Checked out $(git rev-parse HEAD) but the event's commit is $commit."
fi

if [ "$IN_PERSIST_CREDENTIALS" = "true" ]; then
  server=${IN_SERVER_URL:-$GITHUB_SERVER_URL}
  basic=$(printf 'x-access-token:%s' "$IN_TOKEN" | base64 -w0)
  git config --local "http.$server/.extraheader" "AUTHORIZATION: basic $basic"
fi

head=$(git rev-parse HEAD)
echo "checkout stand-in: $repository ${ref:-$commit} -> $head in $dest (depth $IN_FETCH_DEPTH)"
{
  echo "ref=${IN_REF:-${ref:-$commit}}"
  echo "commit=$head"
} >>"$GITHUB_OUTPUT"

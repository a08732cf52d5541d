# Sourced through BASH_ENV by every bash step of an act run (see tests/helpers/act_harness.py), so
# that the step sees what it would see on a GitHub runner. act differs from GitHub in two ways here:
#
# 1. act exports INPUT_<NAME> variables into the steps of composite actions; GitHub does not. A
#    composite action that reads INPUT_* instead of mapping inputs through `env:` would pass under
#    act and fail on GitHub. Names such as INPUT_SOME-INPUT are not valid shell identifiers
#    (`unset` cannot remove them and bash passes them on to children), hence `env -u`.
# 2. In host mode act runs each step on a pseudo-terminal, so isatty() is true and tools colour,
#    page or draw progress bars; on GitHub stdout and stderr are pipes.
#
# Both are fixed by running the step script again, once, without INPUT_* and with its output
# piped (stderr merged into stdout, as in GitHub's log), keeping the shell options and exit code.
# Only bash steps are covered: a `shell: python` or `shell: sh` step still sees both differences.
# BASH_ENV reaches every bash a step starts; `bash -c COMMAND` (a deploy command, say) is left
# alone: it has no script to run again, and its $0 is the shell itself (/usr/bin/bash).
if [ -n "${STANDIN_GITHUB_SHELL:-}" ]; then
  unset STANDIN_GITHUB_SHELL
elif [ -z "${BASH_EXECUTION_STRING+set}" ] && [ -f "$0" ]; then
  _standin_env=(STANDIN_GITHUB_SHELL=1)
  while IFS= read -r -d '' _standin_pair; do
    case "$_standin_pair" in
      INPUT_*=*) _standin_env=(-u "${_standin_pair%%=*}" "${_standin_env[@]}") ;;
    esac
  done < <(env -0)
  _standin_options=(--noprofile --norc)
  case "$-" in *e*) _standin_options+=(-e) ;; esac
  if [ -o pipefail ]; then _standin_options+=(-o pipefail); fi
  set +e
  env "${_standin_env[@]}" "$BASH" "${_standin_options[@]}" "$0" "$@" 2>&1 </dev/null | cat
  exit "${PIPESTATUS[0]}"
fi

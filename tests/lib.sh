# Shared by the shell tests, sourced first thing: . "$(dirname "$0")/lib.sh" (POSIX sh).
# Every check prints "ok: WHAT" or "FAIL: WHAT" and is counted; finish prints the counts and
# is the script's last command, so its status is the test's.
fails=0 passes=0
ok() { echo "ok: $1"; passes=$((passes + 1)); }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; } # check WHAT SHELL-CONDITION
# expect_exit WHAT CODE PATTERN COMMAND...: COMMAND exits with CODE and writes one line on
# stderr, matching PATTERN (a grep pattern); its stdout is ignored
expect_exit() {
    what="$1" code="$2" pattern="$3"
    shift 3
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ "$rc" -eq "$code" ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -q -- "$pattern"
    then ok "$what"
    else bad "$what (exit $rc, $lines line(s)): $err"
    fi
}
# expect WHAT PATTERN COMMAND...: a refusal of bad input, exit code 2 and one line
expect() {
    what="$1" pattern="$2"
    shift 2
    expect_exit "$what" 2 "$pattern" "$@"
}
finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}

# The fuzzers on their seed corpora for a few seconds each (FUZZ_SECONDS, 3 by
# default), so that a parser that crashes on an input found before fails make check.
# Without clang they are skipped, not passed.
set -u
: "${RT_TOP:?run through tests/run.sh}"
command -v clang >/dev/null 2>&1 || { echo "skipped: needs clang for libFuzzer"; exit 77; }
cd "$RT_TOP" || exit 1
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s SAN=fuzz fuzzers >/dev/null || {
	echo "FAIL: the fuzzers do not build"
	exit 1
}
tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-3}"

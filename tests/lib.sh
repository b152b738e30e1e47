# Shared by the shell tests, sourced from the repository root (`. tests/lib.sh`): a scratch
# directory removed at exit, the OK / FAILED lines and their count, and the smallest run.
set -u
bin=./bin/halopaint
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "[       OK ] $1"; }
bad() { echo "[  FAILED  ] $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
# min_param FILE: the default model's cosmology, 64 Mpc/h, 64^3 particles (64 a voxel), seed 3
min_param() {
  cat > "$1" <<'P'
Omega0          0.3089
OmegaBaryon     0.0486
HubbleParam     0.6774
Sigma8          0.8159
PrimordialIndex 0.9667
BoxSize         64
NParticles      64
Seed            3
P
}
# same_rows A B: two ASCII outputs hold the same rows, '#' header lines aside, and some rows
same_rows() {
  grep -v '^#' "$1" > "$tmp/rows_a" 2> /dev/null && grep -v '^#' "$2" > "$tmp/rows_b" 2> /dev/null &&
    [ -s "$tmp/rows_a" ] && cmp -s "$tmp/rows_a" "$tmp/rows_b"
}
# finish NAME: the summary line; the exit status says whether every check passed
finish() {
  echo "$1: $fails failed"
  [ "$fails" -eq 0 ]
}

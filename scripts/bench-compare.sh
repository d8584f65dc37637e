#!/usr/bin/env bash
# Times `rhetor compare` and `rhetor report` on a synthetic articles.csv of N
# articles (default 50,000; 4 outlets, 12 months, 18 device counts).
#
#   scripts/bench-compare.sh [N]          # builds with `cargo build --release`
#   RHETOR=path/to/rhetor scripts/bench-compare.sh 50000
#
# Prints wall time, CPU time and peak memory (GNU time) of each command.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-50000}"
if [ -z "${RHETOR:-}" ]; then
  cargo build --release --quiet
  RHETOR=target/release/rhetor
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
awk -v n="$N" 'BEGIN {
  srand(1);
  split("editorial_aside evaluative_editorializing loaded_language name_calling scare_quotes doubt appeal_to_fear exaggeration flag_waving whataboutism causal_oversimplification appeal_to_authority black_and_white slogans thought_terminating_cliche repetition rhetorical_question bandwagon", d, " ");
  split("A B C D", o, " "); split("0.05 0.07 0.06 0.05", base, " ");
  printf "article_id,outlet,date,title,sentences,framing_sentences,framing_rate,framing_mean,framing_max";
  for (j = 1; j <= 18; j++) printf ",%s_count", d[j];
  printf "\n";
  for (i = 0; i < n; i++) {
    k = i % 4 + 1; s = 10 + int(rand() * 31); max = 0; line = "";
    for (j = 1; j <= 18; j++) {
      c = 0; p = base[k] * (0.2 + ((j - 1) % 5) * 0.1);
      for (t = 0; t < s; t++) if (rand() < p) c++;
      if (c > max) max = c; line = line "," c;
    }
    f = max + int(rand() * 3); if (f > s) f = s;
    printf "a%d,%s,2024-%02d-%02d,t,%d,%d,%.4f,0.3,0.9%s\n", i, o[k], int(i / 4) % 12 + 1, i % 28 + 1, s, f, f / s, line;
  }
}' > "$WORK/articles.csv"
echo "rhetor: $RHETOR; $N articles; $(nproc) cores"
run() { /usr/bin/time -f "  %e s wall, %U s user, %M KB peak" "$@" 2>&1 | grep -v '^rhetor:' || true; }
echo "compare --by outlet (10,000 permutations, 2,000 bootstrap resamples):"
run "$RHETOR" compare "$WORK/articles.csv" --by outlet --out "$WORK/cmp"
echo "compare --by outlet --by month:"
run "$RHETOR" compare "$WORK/articles.csv" --by outlet --by month --out "$WORK/cmp-month"
echo "report --by outlet --by month:"
run "$RHETOR" report --articles "$WORK/articles.csv" --by outlet --by month --out "$WORK/report.html"

#!/bin/sh
# Regenerates the English word lists embedded by src/text/dehyphen.rs.
# Needs Debian's SCOWL-derived packages:
#   apt-get install -y wamerican wbritish wamerican-small
# words.txt  : American + British words (size 50), no possessives, original case
#              (lines starting with a capital are names; the code lowercases them).
# common.txt : the smaller American list (size 35), lowercase entries only:
#              "common" words, used to decide joins of two real words.
set -eu
dict=/usr/share/dict
out=$(dirname "$0")/../src/text/data
export LC_ALL=C
cat "$dict/american-english" "$dict/british-english" \
  | grep -v "'" | grep -E '^[[:alpha:]]+$' | sort -u > "$out/words.txt"
grep -v "'" "$dict/american-english-small" | grep -E '^[a-z]+$' | sort -u > "$out/common.txt"
wc -lc "$out/words.txt" "$out/common.txt"

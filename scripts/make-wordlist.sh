#!/bin/sh
# Regenerates the English word lists embedded by src/text/dehyphen.rs.
# All three files are sorted bytewise (LC_ALL=C): the code binary-searches them.
# Needs Debian's SCOWL-derived packages:
#   apt-get install -y wamerican wbritish wamerican-small
# words.txt  : American + British lowercase words (size 50), no possessives.
# names.txt  : the capitalised entries of the same lists (names), lowercased.
# common.txt : the smaller American list (size 35), lowercase entries only:
#              "common" words, used to decide joins of two real words.
set -eu
dict=/usr/share/dict
out=$(dirname "$0")/../src/text/data
export LC_ALL=C
cat "$dict/american-english" "$dict/british-english" | grep -v "'" > /tmp/rhetor-words.$$
grep -E '^[a-z]+$' /tmp/rhetor-words.$$ | sort -u > "$out/words.txt"
grep -E '^[A-Z][A-Za-z]*$' /tmp/rhetor-words.$$ | tr 'A-Z' 'a-z' | sort -u > "$out/names.txt"
rm -f /tmp/rhetor-words.$$
grep -v "'" "$dict/american-english-small" | grep -E '^[a-z]+$' | sort -u > "$out/common.txt"
wc -lc "$out/words.txt" "$out/names.txt" "$out/common.txt"

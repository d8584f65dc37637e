#!/usr/bin/env python3
"""Writes deterministic news-like text (about SIZE bytes) for end-to-end timing.

Usage: scripts/gen-news-text.py 5000000 > /tmp/big.txt
No corpus text is used: sentences are built from short templates with curly
quotes, abbreviations, numbers, broken hyphenation and paragraph breaks.
"""
import random
import sys

SUBJECTS = ["The U.S. State Department", "Mr. Smith", "Gen. Mattis",
            "The coalition\u2019s spokesman", "Apple Inc.", "Officials in Washington, D.C.",
            "The so-called experts", "A 23-year-old civilian", "Dr. M\u00fcller",
            "The U.N. Secretary-General", "Critics", "The ruling party"]
VERBS = ["said", "claimed", "warned", "denied", "admitted", "insisted", "could in-crease",
         "as-sumed", "shamelessly lied", "boasted"]
OBJECTS = ["that 1.5 million people were displaced", "that prices rose 3.2% to $4.50",
           "that the build-up of troops continued",
           "the \u201ccollateral damage\u201d was regrettable",
           "that e.g. schools and hospitals were hit",
           "that cu-\nrious reports emerged on Jan. 5",
           "that No. 5 Squadron\u00a0flew 23 sorties",
           "that the results\u2026 were inconclusive",
           "that the long-term meth-ods were sound",
           "that civil-ians fled the self-defense zone",
           "that the corrupt regime will stop at nothing",
           "that everyone knows the truth"]
ENDS = [".", "!", "?", ".\u201d", "...", "."]


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
    rnd = random.Random(42)
    parts, total, in_par = [], 0, 0
    while total < size:
        s = ""
        if rnd.randrange(12) == 0:
            s += "Syria war toll rises\n"
        s += f"{rnd.choice(SUBJECTS)} {rnd.choice(VERBS)} {rnd.choice(OBJECTS)}{rnd.choice(ENDS)}"
        in_par += 1
        if in_par > 3 + rnd.randrange(4):
            s += "\n\n"
            in_par = 0
        else:
            s += " "
        parts.append(s)
        total += len(s.encode("utf-8"))
    sys.stdout.write("".join(parts))


if __name__ == "__main__":
    main()

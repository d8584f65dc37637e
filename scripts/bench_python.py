#!/usr/bin/env python3
"""Python reference for the transformer throughput bench (scripts/bench-transformer.sh).

Encodes every line of --input with sentence-transformers (all-MiniLM-L6-v2, CPU,
mean pooling, max 128 tokens) — the encoder work rhetor's transformer scorer
does, without rhetor's extra work (normalisation, splitting, cue model, head,
CSV output). Prints one JSON line: sentences, seconds, sentences_per_second,
cpu_seconds (all threads), sentences_per_cpu_second, peak_rss_mb. Needs torch (CPU) + sentence-transformers in a throwaway venv.
"""
import argparse
import json
import os
import resource
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="base model folder (models/base)")
    ap.add_argument("--input", required=True, help="one sentence per line")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    import torch
    import warnings

    warnings.filterwarnings("ignore")
    from sentence_transformers import SentenceTransformer, models

    torch.set_num_threads(args.threads)
    word = models.Transformer(args.model, max_seq_length=128)
    pool = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[word, pool], device="cpu")
    from sentence_transformers import __version__ as st_version
    with open(args.input, encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]
    model.encode(sentences[:64], batch_size=args.batch_size)  # warm-up
    start = time.perf_counter()
    cpu_start = time.process_time()
    emb = model.encode(sentences, batch_size=args.batch_size, convert_to_numpy=True)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "impl": "python sentence-transformers",
        "torch": torch.__version__,
        "sentence_transformers": st_version,
        "threads": args.threads,
        "sentences": len(sentences),
        "dim": int(emb.shape[1]),
        "seconds": round(seconds, 3),
        "sentences_per_second": round(len(sentences) / seconds, 1),
        "cpu_seconds": round(cpu_seconds, 3),
        "sentences_per_cpu_second": round(len(sentences) / cpu_seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Learning curve of `rhetor train` against the SetFit anchor (issue 26, item 5).

Same run, same machine, same training subsets: rhetor (its CLI) and SetFit
(Tunstall et al. 2022; the same base sentence-transformers/all-MiniLM-L6-v2)
are trained on subsets of CheckThat! English subjectivity train
(../shared/checkthat-subj-en/train_en.tsv; 830 rows) and scored on CheckThat!
dev (dev_en.tsv; 462 rows): macro-F1 over {OBJ, SUBJ} with a 95 % bootstrap CI
(2,000 resamples of dev sentences, fixed seed; the same resamples for every
system, so the rhetor - SetFit difference gets a paired CI), and training time.

  scripts/bench-codebook.sh                               # the full curve (hours: SetFit at 256 and 830)
  scripts/bench-codebook.sh --sizes 64 --systems setfit   # one part; finished points are skipped
  scripts/bench-codebook.sh --report-only                 # table + plot from what is finished

Points: every size in --sizes at every seed in --seeds (default 64,256 at
0,1,2); a size >= the number of train rows (830) runs the whole set, at
--full-seeds (default 0) only. Subset of size n at seed s: the first n rows of
the train file after a seeded shuffle (random.Random(s), uniform, NOT
stratified, so nested: the 64 of seed s are in its 256); `--sampling
stratified` keeps the train class ratio instead. The same subset goes to both
systems (its sentence-id hash is in the result line).

SetFit: the paper's recipe via setfit's Trainer: SetFitModel.from_pretrained
on a LOCAL sentence-transformers folder built from models/base (Transformer
max_seq_length 256 -> mean Pooling -> Normalize, as the hub's
all-MiniLM-L6-v2; built once under bench-out/codebook-curve/st-base), default
head (scikit-learn LogisticRegression), TrainingArguments(batch_size=16,
num_epochs=1, num_iterations=20, seed=seed); no network (HF_HUB_OFFLINE=1).
Each point runs in its own Python process; train_s = wall from
from_pretrained to the end of trainer.train() (imports excluded), cpu_s = that
process's CPU seconds over the same span (all threads); predicting dev is
timed separately (score_s).

rhetor: `rhetor train --labels SUB.csv --label subjective --seed S --out DIR
--cache EMPTY_DIR --quiet` (a fresh embedding cache per point, so the encoder
pass is always timed) (SUB.csv: text,subjective 0/1), then `rhetor score --lines --model
DIR --format csv dev.txt`; a dev sentence is SUBJ iff the token `subjective`
is in its `flagged` cell. train_s = wall of the whole `rhetor train` process
(start-up and weight loading included), cpu_s its CPU seconds
(RUSAGE_CHILDREN); scoring is timed separately (score_s).

Threads: --threads (default 2) for both: torch.set_num_threads + OMP/MKL
variables for SetFit, RAYON_NUM_THREADS (and --threads if `rhetor train
--help` lists it) for rhetor.

Every finished (system, size, seed) is one JSON line in
bench-out/codebook-curve/results.jsonl (git-ignored, as is every derived file:
the data are CC BY-NC-SA 4.0), with its dev predictions, the machine (CPU
model, avx2/avx512f/avx512_vnni, cores), versions (torch, setfit,
sentence-transformers, transformers; rhetor's git commit and --version), the
load average at start and end, and the CPU time other processes used during
the run (foreign_cpu_share: their busy CPU-seconds / (wall x cores), from
/proc/stat; over 0.10 the timing is marked contaminated and the bar is not
judged on it). A rerun skips finished points (--rerun redoes them), so the
long points can run over several sessions; --max-minutes stops starting new
points after that long.

Outputs: bench-out/codebook-curve/table.md (per point and per size, with the
bar: rhetor macro-F1 >= SetFit's - 0.01 at <= 1/3 of SetFit's training time,
means over seeds), the plot --plot (default docs/img/codebook-curve.svg:
macro-F1 vs training size with CI bars; training time, log scale), and, with
--doc FILE, the table pasted into FILE between the lines
`<!-- bench-codebook:table:start -->` and `<!-- bench-codebook:table:end -->`.

Needs (in $BENCH_VENV, default /tmp/benchvenv; scripts/bench-codebook.sh makes
it): torch (CPU), setfit, sentence-transformers, scikit-learn, matplotlib,
pandas. --report-only needs only numpy + matplotlib.
"""
import argparse
import csv
import datetime
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "checkthat-subj-en")
FOREIGN_LIMIT = 0.10  # foreign CPU share above which a timing does not count for the bar
MARK_START = "<!-- bench-codebook:table:start -->"
MARK_END = "<!-- bench-codebook:table:end -->"


# ---------------------------------------------------------------- data

def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    out = []
    for r in rows:
        lab = r["label"].strip()
        if lab not in ("SUBJ", "OBJ"):
            raise SystemExit(f"{path}: unexpected label {lab!r} for {r['sentence_id']}")
        text = " ".join(r["sentence"].split())  # one line each (none has a newline today)
        out.append({"id": r["sentence_id"], "text": text, "y": 1 if lab == "SUBJ" else 0})
    return out


def subset(train, n, seed, sampling):
    """The first n rows after a seeded shuffle (uniform), or a seeded stratified draw."""
    idx = list(range(len(train)))
    rnd = random.Random(seed)
    if n >= len(train):
        return idx  # the whole set (in file order)
    if sampling == "uniform":
        rnd.shuffle(idx)
        return sorted(idx[:n])
    by = {0: [i for i in idx if train[i]["y"] == 0], 1: [i for i in idx if train[i]["y"] == 1]}
    for v in by.values():
        rnd.shuffle(v)
    n1 = round(n * len(by[1]) / len(train))
    return sorted(by[1][:n1] + by[0][:n - n1])


def ids_hash(rows):
    return hashlib.sha256("\n".join(r["id"] for r in rows).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- metrics

def macro_f1(y, p):
    import numpy as np
    y = np.asarray(y); p = np.asarray(p)
    f = []
    for c in (0, 1):
        tp = np.sum((p == c) & (y == c)); fp = np.sum((p == c) & (y != c)); fn = np.sum((p != c) & (y == c))
        f.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f))


def boot_indices(n, resamples, seed):
    import numpy as np
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def macro_f1_boot(y, p, idx):
    """macro-F1 on each bootstrap resample (rows of idx), vectorised."""
    import numpy as np
    y = np.asarray(y)[idx]; p = np.asarray(p)[idx]
    f = []
    for c in (0, 1):
        tp = np.sum((p == c) & (y == c), axis=1); fp = np.sum((p == c) & (y != c), axis=1)
        fn = np.sum((p != c) & (y == c), axis=1)
        den = 2 * tp + fp + fn
        f.append(np.where(tp == 0, 0.0, 2 * tp / np.maximum(den, 1)))
    return (f[0] + f[1]) / 2


def ci(values):
    import numpy as np
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [round(float(lo), 4), round(float(hi), 4)]


# ---------------------------------------------------------------- machine

def cpu_info():
    model, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("unknown", "", platform.processor()):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                if model not in ("unknown", "") and flags:
                    break
    except OSError:
        pass
    return {
        "cpu": model,
        "simd": [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni") if f in flags],
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "host": platform.node(),
        "python": platform.python_version(),
    }


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


def cpu_busy_seconds():
    """Busy CPU-seconds of the whole machine so far (all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Watch:
    """Wall time, load average and the CPU time other processes take meanwhile."""

    def __init__(self):
        self.load_start = loadavg(); self.busy0 = cpu_busy_seconds(); self.t0 = time.perf_counter()

    def stop(self, own_cpu_s):
        wall = time.perf_counter() - self.t0
        busy1 = cpu_busy_seconds()
        share = None
        if self.busy0 is not None and busy1 is not None and wall > 0:
            share = max(0.0, (busy1 - self.busy0 - own_cpu_s) / (wall * (os.cpu_count() or 1)))
        return {"load_start": self.load_start, "load_end": loadavg(),
                "foreign_cpu_share": None if share is None else round(share, 3)}


def git_commit():
    try:
        c = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return c + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


# ---------------------------------------------------------------- SetFit

def build_st_base(base, dest):
    """A local sentence-transformers folder equal to the hub's all-MiniLM-L6-v2."""
    if os.path.isfile(os.path.join(dest, "modules.json")):
        return dest
    import warnings
    warnings.filterwarnings("ignore")  # sentence-transformers 6 deprecates the `models` path and names
    from sentence_transformers import SentenceTransformer, models
    word = models.Transformer(base, max_seq_length=256)
    dim = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
    pool = models.Pooling(dim(), pooling_mode="mean")
    st = SentenceTransformer(modules=[word, pool, models.Normalize()], device="cpu")
    tmp = dest + ".tmp"
    st.save(tmp)
    os.replace(tmp, dest)
    return dest


def setfit_worker(spec_path):
    """One SetFit point in this process; prints one JSON line."""
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    threads = spec["threads"]
    import warnings
    warnings.filterwarnings("ignore")
    import torch
    torch.set_num_threads(threads)
    import setfit
    import sentence_transformers
    import transformers
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    train = Dataset.from_dict({"text": spec["train_text"], "label": spec["train_y"]})
    scratch = spec.get("scratch")
    if not scratch:  # (a spec from an older orchestrator)
        import tempfile
        scratch = tempfile.mkdtemp(prefix="setfit-ckpt-", dir=os.path.dirname(os.path.abspath(spec_path)))
    cpu0 = time.process_time(); watch = Watch()
    model = SetFitModel.from_pretrained(spec["st_base"], device="cpu")
    # Trainer defaults otherwise (it saves a final checkpoint: into a scratch folder, not the repo).
    targs = TrainingArguments(batch_size=16, num_epochs=1, num_iterations=20, seed=spec["seed"],
                              report_to="none", show_progress_bar=False, output_dir=scratch)
    trainer = Trainer(model=model, args=targs, train_dataset=train)
    t_fit = time.perf_counter()
    trainer.train()
    end = time.perf_counter()
    cpu_s = time.process_time() - cpu0
    w = watch.stop(cpu_s)
    train_s = end - watch.t0
    t1 = time.perf_counter()
    preds = [int(x) for x in model.predict(spec["dev_text"], batch_size=64)]
    score_s = time.perf_counter() - t1
    if not spec.get("scratch"):
        import shutil as _sh
        _sh.rmtree(scratch, ignore_errors=True)
    print(json.dumps({
        "train_s": round(train_s, 2), "fit_s": round(end - t_fit, 2), "cpu_s": round(cpu_s, 2),
        "score_s": round(score_s, 2), "preds": preds, **w,
        "versions": {"torch": torch.__version__, "setfit": setfit.__version__,
                     "sentence_transformers": sentence_transformers.__version__,
                     "transformers": transformers.__version__, "torch_threads": torch.get_num_threads()},
        "recipe": "SetFitModel.from_pretrained(local all-MiniLM-L6-v2) + Trainer(TrainingArguments("
                  "batch_size=16, num_epochs=1, num_iterations=20, seed)), LogisticRegression head",
    }))
    return 0


def run_setfit(args, out, size, seed, tr, dev):
    import tempfile
    st = build_st_base(args.base, os.path.join(out, "st-base"))
    spec = {"threads": args.threads, "seed": seed, "st_base": st,
            "train_text": [r["text"] for r in tr], "train_y": [r["y"] for r in tr],
            "dev_text": [r["text"] for r in dev]}
    scratch = tempfile.mkdtemp(prefix="setfit-ckpt-", dir=out)
    spec["scratch"] = scratch
    fd, path = tempfile.mkstemp(prefix="spec-", suffix=".json", dir=out)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(spec, f)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads), WANDB_DISABLED="true")
    try:
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--setfit-worker", path],
                           capture_output=True, text=True, env=env, timeout=args.point_timeout)
    finally:
        os.unlink(path)
        shutil.rmtree(scratch, ignore_errors=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
        raise SystemExit(f"setfit point size {size} seed {seed} failed (exit {p.returncode})")
    return json.loads(p.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- rhetor

def rhetor_help(rhetor, sub):
    try:
        return subprocess.run([rhetor, sub, "--help"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def rhetor_version(rhetor):
    try:
        return subprocess.run([rhetor, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def timed_child(cmd, env, timeout, stdout=None):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    watch = Watch()
    p = subprocess.run(cmd, env=env, stdout=stdout if stdout is not None else subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    wall = time.perf_counter() - watch.t0
    w = watch.stop(cpu)
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
        raise SystemExit(f"{' '.join(cmd)} failed (exit {p.returncode})")
    return wall, cpu, w


def flagged_subjective(cell):
    return "subjective" in [t for t in re.split(r"[;,|\s\[\]\"']+", cell or "") if t]


def run_rhetor(args, out, size, seed, tr, dev):
    d = os.path.join(out, "rhetor", f"n{size}-s{seed}")
    os.makedirs(d, exist_ok=True)
    labels = os.path.join(d, "train.csv")
    with open(labels, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "subjective"])
        for r in tr:
            w.writerow([r["text"], r["y"]])
    dev_txt = os.path.join(out, "dev.txt")
    with open(dev_txt, "w", encoding="utf-8") as f:
        f.write("\n".join(r["text"] for r in dev) + "\n")
    model = os.path.join(d, "model")
    # A fresh embedding cache per point: a warm one (rhetor's default
    # .cache/rhetor) would skip the encoder pass and understate the time.
    cache = os.path.join(d, "cache")
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads), HF_HUB_OFFLINE="1")
    cmd = [args.rhetor, "train", "--labels", labels, "--label", "subjective", "--seed", str(seed),
           "--out", model, "--cache", cache, "--quiet"]
    if re.search(r"--threads\b", rhetor_help(args.rhetor, "train")):
        cmd += ["--threads", str(args.threads)]
    train_s, cpu_s, w = timed_child(cmd, env, args.point_timeout)
    pred_csv = os.path.join(d, "dev-scores.csv")
    with open(pred_csv, "w", encoding="utf-8") as fo:
        score_s, _, _ = timed_child([args.rhetor, "score", "--lines", "--model", model, "--format", "csv", dev_txt],
                                    env, args.point_timeout, stdout=fo)
    with open(pred_csv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "flagged" not in rows[0]:
        raise SystemExit(f"{pred_csv}: no `flagged` column")
    by_line = {}
    for i, r in enumerate(rows):  # with --lines, `paragraph` is the line index
        line = int(r["paragraph"]) if r.get("paragraph", "").strip().isdigit() else i
        prob = r.get("subjective", "").strip()
        by_line.setdefault(line, []).append((flagged_subjective(r["flagged"]), float(prob) if prob else None))
    by_line = {k: (any(p for p, _ in v), max((q for _, q in v if q is not None), default=None))
               for k, v in by_line.items()}
    if sorted(by_line) != list(range(len(dev))):
        raise SystemExit(f"{pred_csv}: lines {len(by_line)} != {len(dev)} dev sentences")
    return {"train_s": round(train_s, 2), "cpu_s": round(cpu_s, 2), "score_s": round(score_s, 2),
            "preds": [int(by_line[i][0]) for i in range(len(dev))],
            "probs": [None if by_line[i][1] is None else round(by_line[i][1], 4) for i in range(len(dev))],
            **w, "versions": {"rhetor": rhetor_version(args.rhetor), "rhetor_binary": os.path.abspath(args.rhetor)},
            "recipe": "rhetor train --labels SUB.csv --label subjective --seed S --out DIR --cache EMPTY_DIR --quiet"
                      + (f" --threads {args.threads}" if "--threads" in cmd else "")}


# ---------------------------------------------------------------- results

def load_results(path):
    res = {}
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    res[(r["system"], r["size"], r["seed"], r.get("sampling", "uniform"))] = r
    return res


def valid_timing(r):
    s = r.get("foreign_cpu_share")
    return s is not None and s <= FOREIGN_LIMIT


def fmt_load(r):
    a, b = r.get("load_start"), r.get("load_end")
    return f"{a[0]:.2f} → {b[0]:.2f}" if a and b else "?"


def report(args, results, dev):
    import numpy as np
    y = [r["y"] for r in dev]
    idx = boot_indices(len(dev), args.resamples, args.ci_seed)
    rows = [r for r in results.values() if r.get("sampling", "uniform") == args.sampling]
    sizes = sorted({r["size"] for r in rows})
    boots = {}
    for r in rows:
        boots[(r["system"], r["size"], r["seed"])] = macro_f1_boot(y, r["preds"], idx)
    lines = [f"Dev: CheckThat! dev_en.tsv ({len(dev)} sentences). macro-F1 over {{OBJ, SUBJ}}, 95 % "
             f"bootstrap CI ({args.resamples} resamples of dev sentences, seed {args.ci_seed}; ΔF1's CI paired on "
             f"the same resamples). Subsets: {args.sampling} sampling. train s = training wall seconds; "
             f"load = 1-min load average at start → end; foreign = CPU share other processes took during the run "
             f"(timings with foreign > {FOREIGN_LIMIT:.2f} are marked † and do not count for the bar).", "",
             "| size | seed | system | macro-F1 [95 % CI] | train s (wall) | train CPU s | score s | load | foreign | time rhetor/SetFit | ΔF1 rhetor − SetFit [CI] |",
             "|---:|---:|---|---|---:|---:|---:|---|---:|---:|---|"]
    for size in sizes:
        seeds = sorted({r["seed"] for r in rows if r["size"] == size})
        for seed in seeds:
            sf = results.get(("setfit", size, seed, args.sampling)); rh = results.get(("rhetor", size, seed, args.sampling))
            for name, r in (("SetFit", sf), ("rhetor", rh)):
                if r is None:
                    lines.append(f"| {size} | {seed} | {name} | not yet run | | | | | | | |")
                    continue
                dag = "" if valid_timing(r) else " †"
                ratio = delta = ""
                if name == "rhetor" and sf is not None:
                    ratio = f"{r['train_s'] / sf['train_s']:.3f}"
                    d = boots[("rhetor", size, seed)] - boots[("setfit", size, seed)]
                    dci = ci(d)
                    delta = f"{r['macro_f1'] - sf['macro_f1']:+.3f} [{dci[0]:+.3f}, {dci[1]:+.3f}]"
                fs = r.get("foreign_cpu_share")
                lines.append(f"| {size} | {seed} | {name} | {r['macro_f1']:.3f} [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}] | "
                             f"{r['train_s']:.1f}{dag} | {r['cpu_s']:.1f} | {r['score_s']:.1f} | {fmt_load(r)} | "
                             f"{'?' if fs is None else f'{fs:.2f}'} | {ratio} | {delta} |")
    lines += ["", "Per size (means over the seeds both systems have finished). Bar: rhetor macro-F1 ≥ SetFit's − 0.01 "
              "and rhetor train time ≤ ⅓ of SetFit's.", "",
              "| size | seeds | SetFit macro-F1 | rhetor macro-F1 | ΔF1 | SetFit train s | rhetor train s | time ratio | F1 bar | time bar | bar |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    verdicts = []
    for size in sizes:
        seeds = sorted(s for s in {r["seed"] for r in rows if r["size"] == size}
                       if ("setfit", size, s, args.sampling) in results and ("rhetor", size, s, args.sampling) in results)
        if not seeds:
            cells = []
            for sysname in ("setfit", "rhetor"):
                got = [results[k] for k in results if k[0] == sysname and k[1] == size and k[3] == args.sampling]
                cells.append((f"{np.mean([r['macro_f1'] for r in got]):.3f}", f"{np.mean([r['train_s'] for r in got]):.1f}")
                             if got else ("not yet run", "not yet run"))
            lines.append(f"| {size} | — | {cells[0][0]} | {cells[1][0]} | | {cells[0][1]} | {cells[1][1]} | | | | "
                         f"not judged |")
            verdicts.append((size, None))
            continue
        sf = [results[("setfit", size, s, args.sampling)] for s in seeds]
        rh = [results[("rhetor", size, s, args.sampling)] for s in seeds]
        msf, mrh = np.mean([r["macro_f1"] for r in sf]), np.mean([r["macro_f1"] for r in rh])
        tsf, trh = np.mean([r["train_s"] for r in sf]), np.mean([r["train_s"] for r in rh])
        f1_ok, t_ok = mrh >= msf - 0.01, trh <= tsf / 3
        valid = all(valid_timing(r) for r in sf + rh)
        verdict = ("" if valid else "provisional ") + ("PASS" if f1_ok and t_ok else "FAIL") + \
            ("" if valid else " (timings taken under other load †: re-time on an idle machine)")
        verdicts.append((size, verdict))
        lines.append(f"| {size} | {','.join(map(str, seeds))} | {msf:.3f} | {mrh:.3f} | {mrh - msf:+.3f} | {tsf:.1f} | "
                     f"{trh:.1f} | {trh / tsf:.3f} | {'yes' if f1_ok else 'no'} | {'yes' if t_ok else 'no'} | {verdict} |")
    machines = {(r["machine"]["cpu"], tuple(r["machine"]["simd"]), r["machine"]["cores"]) for r in rows}
    lines += [""] + [f"Machine: {m[0]} ({', '.join(m[1]) or 'no avx2'}), {m[2]} cores." for m in sorted(machines)]
    vers = {json.dumps(r.get("versions", {}), sort_keys=True) for r in rows if r["system"] == "setfit"}
    for v in sorted(vers):
        d = json.loads(v)
        lines.append("SetFit side: " + ", ".join(f"{k} {d[k]}" for k in ("setfit", "sentence_transformers", "transformers", "torch") if k in d) + ".")
    rv = {(r.get("versions", {}).get("rhetor"), r.get("rhetor_commit")) for r in rows if r["system"] == "rhetor"}
    for v, c in sorted(rv, key=str):
        lines.append(f"rhetor side: {v or 'rhetor ?'} (commit {c or '?'}).")
    table = "\n".join(lines) + "\n"
    return table, verdicts, boots


def plot(args, results, path):
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "rhetor-bench-codebook"
    import matplotlib.pyplot as plt
    import numpy as np
    rows = [r for r in results.values() if r.get("sampling", "uniform") == args.sampling]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    sizes_all = sorted({r["size"] for r in rows})
    for sysname, label, color, dx in (("setfit", "SetFit (num_iterations=20)", "tab:orange", 0.97),
                                      ("rhetor", "rhetor train", "tab:blue", 1.03)):
        rs = [r for r in rows if r["system"] == sysname]
        if not rs:
            a1.plot([], [], color=color, label=f"{label}: not yet run")
            continue
        sizes = sorted({r["size"] for r in rs})
        for r in rs:
            x = r["size"] * dx * (1 + 0.015 * (r["seed"] - 1))
            a1.errorbar([x], [r["macro_f1"]], yerr=[[r["macro_f1"] - r["ci"][0]], [r["ci"][1] - r["macro_f1"]]],
                        fmt="o", color=color, alpha=0.5, ms=4, capsize=2)
            a2.plot([x], [r["train_s"]], "o" if valid_timing(r) else "x", color=color, alpha=0.6)
        m = [np.mean([r["macro_f1"] for r in rs if r["size"] == s]) for s in sizes]
        t = [np.mean([r["train_s"] for r in rs if r["size"] == s]) for s in sizes]
        a1.plot(sizes, m, "-", color=color, label=label)
        a2.plot(sizes, t, "-", color=color, label=label)
    for a in (a1, a2):
        a.set_xscale("log")
        a.set_xticks(sizes_all or [64, 256, 830]); a.set_xticklabels([str(s) for s in (sizes_all or [64, 256, 830])])
        a.minorticks_off()
        xs = sizes_all or [64, 830]
        a.set_xlim(min(xs) / 1.6, max(xs) * 1.6)
        a.set_xlabel("training sentences (CheckThat! train subset)")
        a.grid(alpha=0.3)
    a1.set_ylabel("dev macro-F1 (95 % bootstrap CI)")
    a1.set_title("CheckThat! dev macro-F1")
    a2.set_yscale("log"); a2.set_ylabel("training wall seconds (log)")
    a2.set_title("training time (× = other load during the run)")
    a1.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, metadata={"Date": None} if path.endswith(".svg") else None)
    plt.close(fig)


def paste_into_doc(doc, table):
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    if MARK_START not in text or MARK_END not in text:
        print(f"bench-codebook: {doc} has no {MARK_START} … {MARK_END} markers; table not pasted", file=sys.stderr)
        return
    a = text.index(MARK_START) + len(MARK_START); b = text.index(MARK_END)
    with open(doc, "w", encoding="utf-8") as f:
        f.write(text[:a] + "\n" + table + text[b:])


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", default=os.path.join(SHARED, "train_en.tsv"))
    ap.add_argument("--dev", default=os.path.join(SHARED, "dev_en.tsv"))
    ap.add_argument("--base", default=os.path.join(ROOT, "models", "base"), help="HF all-MiniLM-L6-v2 folder")
    ap.add_argument("--sizes", default="64,256,830")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--full-seeds", default="0", help="seeds for sizes >= the train set (default 0)")
    ap.add_argument("--full-size", type=int, default=830,
                    help="the 'all' size: a train file with more rows is sampled down to it (default 830)")
    ap.add_argument("--systems", default="setfit,rhetor")
    ap.add_argument("--sampling", choices=["uniform", "stratified"], default="uniform")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rhetor", default=os.path.join(ROOT, "target", "release", "rhetor"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out", "codebook-curve"))
    ap.add_argument("--plot", default=os.path.join(ROOT, "docs", "img", "codebook-curve.svg"))
    ap.add_argument("--doc", default=None, help="paste the table into this Markdown file between the markers")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--ci-seed", type=int, default=20260509)
    ap.add_argument("--rerun", action="store_true", help="redo finished points")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--max-minutes", type=float, default=None, help="start no new point after this long")
    ap.add_argument("--point-timeout", type=int, default=6 * 3600, help="seconds one training may take")
    ap.add_argument("--setfit-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.setfit_worker:
        return setfit_worker(args.setfit_worker)

    t_start = time.time()
    os.makedirs(args.out, exist_ok=True)
    results_path = os.path.join(args.out, "results.jsonl")
    train_all, dev = read_tsv(args.train), read_tsv(args.dev)
    note = ""
    if len(train_all) > args.full_size:
        keep = sorted(random.Random(0).sample(range(len(train_all)), args.full_size))
        train_all = [train_all[i] for i in keep]
        note = f" (sampled {args.full_size} of the file's rows at seed 0)"
    print(f"bench-codebook: train {args.train}: {len(train_all)} rows{note}, "
          f"{sum(r['y'] for r in train_all)} SUBJ; dev {len(dev)} rows, {sum(r['y'] for r in dev)} SUBJ", file=sys.stderr)
    results = load_results(results_path)
    systems = [s for s in args.systems.split(",") if s]
    for s in systems:
        if s not in ("setfit", "rhetor"):
            raise SystemExit(f"unknown system {s}")
    points = []
    for size in [int(x) for x in args.sizes.split(",") if x]:
        seeds = args.full_seeds if size >= len(train_all) else args.seeds
        for seed in [int(x) for x in seeds.split(",") if x]:
            points.append((min(size, len(train_all)), seed))
    if "rhetor" in systems and not args.report_only and not os.access(args.rhetor, os.X_OK):
        raise SystemExit(f"no rhetor binary at {args.rhetor} (build it, or pass --rhetor PATH)")

    machine = cpu_info()
    y_dev = [r["y"] for r in dev]
    idx = boot_indices(len(dev), args.resamples, args.ci_seed) if not args.report_only else None
    stopped = False
    for size, seed in ([] if args.report_only else points):
        tr = [train_all[i] for i in subset(train_all, size, seed, args.sampling)]
        for system in systems:
            key = (system, size, seed, args.sampling)
            if key in results and not args.rerun:
                print(f"bench-codebook: {system} n={size} seed={seed}: done, skipped", file=sys.stderr)
                continue
            if args.max_minutes is not None and time.time() - t_start > args.max_minutes * 60:
                print(f"bench-codebook: --max-minutes {args.max_minutes} reached; stopping", file=sys.stderr)
                stopped = True
                break
            print(f"bench-codebook: {system} n={size} seed={seed} ({sum(r['y'] for r in tr)} SUBJ), "
                  f"load {loadavg()} …", file=sys.stderr, flush=True)
            started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            r = (run_setfit if system == "setfit" else run_rhetor)(args, args.out, size, seed, tr, dev)
            f1 = macro_f1(y_dev, r["preds"])
            rec = {"system": system, "size": size, "seed": seed, "sampling": args.sampling,
                   "subset_sha": ids_hash(tr), "subset_subj": sum(x["y"] for x in tr),
                   "macro_f1": round(f1, 4), "ci": ci(macro_f1_boot(y_dev, r["preds"], idx)),
                   "ci_resamples": args.resamples, "ci_seed": args.ci_seed, "threads": args.threads,
                   "started": started, "machine": machine, "rhetor_commit": git_commit(), **r}
            with open(results_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
            results[key] = rec
            print(f"bench-codebook: {system} n={size} seed={seed}: macro-F1 {f1:.3f} {rec['ci']}, "
                  f"train {r['train_s']:.1f} s wall / {r['cpu_s']:.1f} s CPU, score {r['score_s']:.1f} s, "
                  f"load {r['load_start']} → {r['load_end']}, foreign CPU {r['foreign_cpu_share']}",
                  file=sys.stderr, flush=True)
        if stopped:
            break

    if not results:
        print("bench-codebook: no results yet", file=sys.stderr)
        return 0
    table, verdicts, _ = report(args, results, dev)
    with open(os.path.join(args.out, "table.md"), "w", encoding="utf-8") as f:
        f.write(table)
    if args.plot:
        plot(args, results, args.plot)
    if args.doc:
        paste_into_doc(args.doc, table)
    print(table)
    for size, v in verdicts:
        print(f"bench-codebook: size {size}: {v or 'not judged (a system has not run at this size)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

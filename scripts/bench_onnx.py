#!/usr/bin/env python3
"""ONNX Runtime reference for the transformer throughput bench (scripts/bench-transformer.sh).

Two steps, each in its own process so that peak RSS is the run's own:

  bench_onnx.py export --model models/base --out DIR
      exports the base model (Hugging Face BertModel, last hidden state) with
      torch.onnx.export to DIR/model-fp32.onnx (dynamic batch and sequence
      axes), then DIR/model-int8.onnx with
      onnxruntime.quantization.quantize_dynamic (int8 weights, dynamic int8
      activations: the MatMul layers become MatMulInteger / DynamicQuantizeLinear).

  bench_onnx.py run --model models/base --onnx DIR/model-int8.onnx --input SENTENCES --threads 2
      encodes every line of SENTENCES like sentence-transformers' encode():
      tokenizer (max 128 tokens), batches of 32 sentences sorted by length,
      mean pooling over real tokens; times tokenization + inference + pooling
      after a warm-up batch and prints one JSON line with the same keys as
      bench_python.py.

Needs torch, transformers, onnx, onnxscript and onnxruntime in the bench venv.
"""
import argparse
import json
import os
import resource
import sys
import time


def export(args) -> int:
    import torch
    import warnings
    from transformers import AutoModel, AutoTokenizer

    warnings.filterwarnings("ignore")
    os.makedirs(args.out, exist_ok=True)
    model = AutoModel.from_pretrained(args.model).eval()
    tok = AutoTokenizer.from_pretrained(args.model)
    sample = tok(["An example sentence for the export."] * 2, return_tensors="pt", padding=True)

    class Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    fp32 = os.path.join(args.out, "model-fp32.onnx")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    inputs = tuple(sample[n] for n in names)
    axes = {n: {0: "batch", 1: "seq"} for n in names}
    axes["hidden"] = {0: "batch", 1: "seq"}
    try:
        torch.onnx.export(Hidden(model), inputs, fp32, input_names=names, output_names=["hidden"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
        exporter = "torchscript"
    except Exception as e:  # the legacy exporter may be gone: use the dynamo one
        print(f"legacy exporter failed ({e}); using dynamo=True", file=sys.stderr)
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
        shapes = {n: {0: batch, 1: seq} for n in names}
        torch.onnx.export(Hidden(model), inputs, fp32, input_names=names, output_names=["hidden"],
                          dynamic_shapes=shapes, dynamo=True, external_data=False)
        exporter = "dynamo"
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = os.path.join(args.out, "model-int8.onnx")
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
    print(json.dumps({"exporter": exporter, "torch": torch.__version__,
                      "fp32_mb": round(os.path.getsize(fp32) / 1e6, 1),
                      "int8_mb": round(os.path.getsize(int8) / 1e6, 1)}))
    return 0


def run(args) -> int:
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(args.onnx, opts, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in sess.get_inputs()}
    tok = AutoTokenizer.from_pretrained(args.model)
    with open(args.input, encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]

    def encode(texts):
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = [None] * len(texts)
        for s in range(0, len(order), args.batch_size):
            idx = order[s:s + args.batch_size]
            enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=128,
                      return_tensors="np")
            feed = {k: v.astype(np.int64) for k, v in enc.items() if k in wanted}
            hidden = sess.run(None, feed)[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            for i, row in zip(idx, pooled):
                out[i] = row
        return np.stack(out)

    encode(sentences[:64])  # warm-up
    start = time.perf_counter()
    cpu_start = time.process_time()
    emb = encode(sentences)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "impl": f"onnxruntime {os.path.basename(args.onnx)}",
        "onnxruntime": ort.__version__,
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


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--model", required=True)
    e.add_argument("--out", required=True)
    r = sub.add_parser("run")
    r.add_argument("--model", required=True, help="base model folder (tokenizer)")
    r.add_argument("--onnx", required=True)
    r.add_argument("--input", required=True)
    r.add_argument("--batch-size", type=int, default=32)
    r.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    return export(args) if args.cmd == "export" else run(args)


if __name__ == "__main__":
    sys.exit(main())

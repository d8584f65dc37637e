//! Encoder throughput: float exact (one forward pass per sentence, cores in
//! parallel) vs float bucketed batching vs the int8 engine (every kernel
//! this CPU supports), on the real base model when it is set up
//! (models/base or RHETOR_BASE_DIR), else on the tiny random BERT.
//!
//! `cargo bench --bench transformer`. The end-to-end figure against the Python
//! reference comes from `scripts/bench-transformer.sh`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rhetor::model::bert::{Batching, BertEncoder, Encoder};
use rhetor::model::int8::Int8Encoder;
use rhetor::model::kernels::Kernel;
use rhetor::model::setup;

fn sentences(n: usize) -> Vec<String> {
    let subj = [
        "The minister",
        "Officials",
        "The company",
        "Protesters",
        "The court",
    ];
    let verb = ["said", "denied", "announced", "warned", "claimed"];
    let obj = [
        "that the plan would fail",
        "a new inquiry into the so-called reform on Monday",
        "record profits this quarter despite the crisis",
        "that the talks had collapsed after weeks of bitter disputes between the parties",
    ];
    (0..n)
        .map(|i| {
            format!(
                "{} {} {}, according to {} sources.",
                subj[i % subj.len()],
                verb[(i / 5) % verb.len()],
                obj[(i / 25) % obj.len()],
                i % 17 + 2
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let real = rhetor::LoadOptions::from_env().base.dir;
    let tmp = tempfile::tempdir().expect("temp dir");
    let (base, label) = if setup::is_complete(&real) {
        (real, "minilm")
    } else {
        eprintln!("bench: no base weights, using the tiny random BERT");
        let b = tmp.path().join("base");
        rhetor::model::tiny::write_tiny_base(&b, 1).expect("tiny base");
        (b, "tiny")
    };
    let texts = sentences(256);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut group = c.benchmark_group(format!("encoder-{label}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(refs.len() as u64));
    for (name, batching) in [("exact", Batching::Exact), ("bucketed", Batching::Bucketed)] {
        let mut enc = BertEncoder::load(&base, 128, None).expect("encoder");
        enc.set_batching(batching);
        group.bench_function(name, |b| b.iter(|| enc.embed_texts(&refs).expect("embed")));
    }
    // Every kernel this CPU supports (weights read straight into int8).
    for kernel in Kernel::supported() {
        let enc = Int8Encoder::load_with_kernel(&base, 128, None, kernel).expect("int8 encoder");
        let name = format!("int8-{}", kernel.name());
        group.bench_function(name, |b| b.iter(|| enc.embed_texts(&refs).expect("embed")));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The transformer scorer end to end on a tiny randomly initialised BERT
//! (written to a temp dir), through the library and the real binary, plus
//! checks on the real base weights that skip when they are absent.

mod common;

use common::{read_csv, rhetor, stderr, stdout, succeed};
use rhetor::model::bert::{BertEncoder, Encoder};
use rhetor::model::head::ContextMode;
use rhetor::model::int8::Int8Encoder;
use rhetor::model::tiny::{write_tiny_base, write_tiny_model};
use rhetor::model::transformer::{Engine, TransformerOptions, TransformerScorer};
use rhetor::taxonomy::Device;
use rhetor::{Scorer, SentenceInput};
use std::path::{Path, PathBuf};
use std::process::Command;

const SENTENCES: [&str; 7] = [
    "Let's note that the evil plan is a disaster.",
    "The council met on Tuesday.",
    "Is this really what they call \"reform\"?",
    "a",
    "Prices rose 3 percent in the third quarter, the agency said in a statement released on Monday morning after markets closed.",
    "",
    "Everybody knows it.",
];

fn tiny(context: ContextMode) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    let model = dir.path().join("model");
    write_tiny_base(&base, 1).unwrap();
    write_tiny_model(&model, context, 2).unwrap();
    (dir, base, model)
}

fn inputs(texts: &[&'static str]) -> Vec<SentenceInput<'static>> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| SentenceInput {
            text: t,
            prev: i.checked_sub(1).map(|j| texts[j]),
            next: texts.get(i + 1).copied(),
            title: Some("The title"),
        })
        .collect()
}

fn load(model: &Path, base: &Path, explain: bool) -> TransformerScorer {
    load_engine(model, base, explain, Engine::default())
}

fn load_engine(model: &Path, base: &Path, explain: bool, engine: Engine) -> TransformerScorer {
    TransformerScorer::load_with(model, base, TransformerOptions { explain, engine }).unwrap()
}

#[test]
fn scores_are_probabilities_and_batch_size_invariant() {
    for (context, engine) in [
        (ContextMode::None, Engine::Int8),
        (ContextMode::PrevNext, Engine::Int8),
        (ContextMode::Title, Engine::Int8),
        (ContextMode::None, Engine::Float),
        (ContextMode::PrevNext, Engine::Float),
    ] {
        let (_dir, base, model) = tiny(context);
        let scorer = load_engine(&model, &base, false, engine);
        let batch = inputs(&SENTENCES);
        let all = scorer.score_batch(&batch).unwrap();
        assert_eq!(all.len(), batch.len());
        for s in &all {
            assert!(s.framing > 0.0 && s.framing < 1.0);
            assert!(s.probs.values().iter().all(|p| (0.0..=1.0).contains(p)));
        }
        // One at a time, and in pairs: exactly the same scores.
        for size in [1, 2, 3] {
            let mut piecewise = Vec::new();
            for chunk in batch.chunks(size) {
                piecewise.extend(scorer.score_batch(chunk).unwrap());
            }
            for (a, b) in all.iter().zip(&piecewise) {
                assert_eq!(
                    a.probs, b.probs,
                    "{engine:?}, context {context:?}, batch size {size}"
                );
                assert_eq!(a.framing, b.framing);
            }
        }
        // Different sentences give different embeddings (the model is not constant).
        assert_ne!(all[0].framing, all[1].framing);
    }
}

#[test]
fn encoder_embeddings_do_not_depend_on_padding_partners() {
    let (_dir, base, _model) = tiny(ContextMode::None);
    let enc = BertEncoder::load(&base, 128, None).unwrap();
    let alone = enc.embed_texts(&["The council met on Tuesday."]).unwrap();
    let with_others = enc
        .embed_texts(&["a", "The council met on Tuesday.", SENTENCES[4]])
        .unwrap();
    assert_eq!(alone[0], with_others[1]);
    assert_eq!(alone[0].len(), enc.dim());
}

#[test]
fn long_inputs_are_truncated_not_rejected() {
    let (_dir, base, model) = tiny(ContextMode::None);
    let scorer = load(&model, &base, false);
    let long: &'static str = Box::leak("word ".repeat(2000).into_boxed_str());
    let out = scorer.score_batch(&inputs(&[long])).unwrap();
    assert_eq!(out.len(), 1);
}

#[test]
fn the_span_head_reads_long_sentences_in_windows_to_the_last_word() {
    let (_dir, base, model) = tiny(ContextMode::None);
    for engine in [Engine::Int8, Engine::Float] {
        let scorer = load_engine(&model, &base, false, engine);
        // 700 words: several windows of 128 pieces.
        let long: String = (0..700).map(|i| format!("w{} ", i % 10)).collect();
        let long: &'static str = Box::leak(long.into_boxed_str());
        let out = scorer.score_batch(&inputs(&[long])).unwrap();
        let tokens = &out[0].tokens;
        // Pieces in order, none twice, the last one at the end of the text.
        assert!(tokens.windows(2).all(|w| w[0].end <= w[1].start));
        assert_eq!(tokens.last().unwrap().end, long.trim_end().len());
        // Every word is covered: each word start is some piece's start.
        let starts: std::collections::HashSet<usize> = tokens.iter().map(|t| t.start).collect();
        let mut at = 0;
        for w in long.split_whitespace() {
            let i = long[at..].find(w).unwrap() + at;
            assert!(starts.contains(&i), "word at {i} has no piece");
            at = i + w.len();
        }
        // Spans are built from the pieces of every window.
        assert!(out[0].spans.iter().all(|s| s.end <= long.len()));
        // The sentence's own scores are those of the model without a span head.
        let mut plain = load_engine(&model, &base, false, engine);
        plain.set_span_head(None).unwrap();
        let without = plain.score_batch(&inputs(&[long])).unwrap();
        assert_eq!(without[0].probs, out[0].probs);
        assert_eq!(without[0].framing, out[0].framing);
        assert!(without[0].tokens.is_empty() && without[0].spans.is_empty());
    }
}

#[test]
fn explain_adds_occlusion_cues_inside_the_sentence() {
    let (_dir, base, model) = tiny(ContextMode::None);
    let scorer = load(&model, &base, true);
    let batch = inputs(&SENTENCES[..3]);
    let out = scorer.score_batch(&batch).unwrap();
    let mut seen = 0;
    for (s, input) in out.iter().zip(&batch) {
        let occl: Vec<_> = s
            .cues
            .iter()
            .filter(|c| c.pattern == "attribution:occlusion")
            .collect();
        assert!(occl.len() <= 3);
        for c in occl {
            assert!(c.start < c.end && c.end <= input.text.len());
            assert!(input.text.is_char_boundary(c.start) && input.text.is_char_boundary(c.end));
            assert!(c.weight > 0.0);
            seen += 1;
        }
    }
    assert!(
        seen > 0,
        "a random model should move its logit for some word"
    );
}

/// Runs `rhetor score --format jsonl EXTRA --model MODEL ARTICLE` with the
/// given base folder; asserts success and returns standard output.
fn score_jsonl(model: &Path, base: &Path, article: &Path, extra: &[&str]) -> String {
    let out = succeed(
        rhetor()
            .args(["score", "--format", "jsonl"])
            .args(extra)
            .arg("--model")
            .arg(model)
            .arg(article)
            .env("RHETOR_BASE_DIR", base),
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn binary_scores_with_a_transformer_model_folder() {
    let (dir, base, model) = tiny(ContextMode::PrevNext);
    let article = dir.path().join("article.txt");
    std::fs::write(&article, SENTENCES.join("\n")).unwrap();
    let stdout = score_jsonl(&model, &base, &article, &[]);
    assert!(stdout.lines().count() >= 3, "{stdout}");
    assert!(stdout.contains("framing"), "{stdout}");
}

#[test]
fn binary_writes_span_head_spans_with_offsets_into_the_original_and_shades_them_in_html() {
    let (dir, base, model) = tiny(ContextMode::None);
    // Curly quotes and a PDF line-break hyphen: normalised text differs from the original.
    let original = "The \u{201c}brave\u{201d} minis-\nter lies to the nation again and again.\n\nOfficials said the talks failed on Monday after weeks of dispute.\n";
    let article = dir.path().join("article.txt");
    std::fs::write(&article, original).unwrap();
    let stdout = score_jsonl(&model, &base, &article, &[]);
    let mut seen = 0;
    for line in stdout.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let (s_start, s_end) = (row["start"].as_u64().unwrap(), row["end"].as_u64().unwrap());
        for span in row["spans"].as_array().expect("spans array") {
            let (start, end) = (
                span["start"].as_u64().unwrap(),
                span["end"].as_u64().unwrap(),
            );
            assert!(
                s_start <= start && start < end && end <= s_end,
                "{span} in {row}"
            );
            let (b0, b1) = (
                span["byte_start"].as_u64().unwrap() as usize,
                span["byte_end"].as_u64().unwrap() as usize,
            );
            // Byte and char offsets point at the same original text.
            let chars: String = original
                .chars()
                .skip(start as usize)
                .take((end - start) as usize)
                .collect();
            assert_eq!(&original[b0..b1], chars);
            let technique = span["technique"].as_str().unwrap();
            assert!(rhetor::taxonomy::Device::from_id(technique).is_some_and(|d| d.is_ptc()));
            let p = span["probability"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&p));
            seen += 1;
        }
    }
    assert!(
        seen > 0,
        "the tiny model's random span head found no span: {stdout}"
    );
    let html = succeed(
        rhetor()
            .args(["score", "--format", "html", "--model"])
            .arg(&model)
            .arg(&article)
            .env("RHETOR_BASE_DIR", &base),
    );
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(
        html.contains("<mark class=\"span d-"),
        "no shaded span in the HTML"
    );
    assert!(
        html.contains("shaded: span found by the model"),
        "no legend"
    );
}

#[test]
fn batch_writes_one_spans_row_per_span_of_the_sentences_table() {
    let (dir, base, model) = tiny(ContextMode::None);
    let corpus = dir.path().join("corpus.csv");
    std::fs::write(
        &corpus,
        "id,outlet,text\n\
         a1,X,\"The brave minister lies to the nation again. Officials met on Monday.\"\n\
         a2,Y,\"Traitors and cowards run the so-called reform, critics said.\"\n",
    )
    .unwrap();
    let out = dir.path().join("run");
    succeed(
        rhetor()
            .arg("batch")
            .arg(&corpus)
            .arg("--out")
            .arg(&out)
            .arg("--model")
            .arg(&model)
            .arg("--quiet")
            .env("RHETOR_BASE_DIR", &base),
    );
    let (sh, sentences) = read_csv(&out.join("sentences.csv"));
    let col = |name: &str| sh.iter().position(|h| h == name).unwrap();
    let mut expected = Vec::new();
    for row in &sentences {
        let spans: Vec<serde_json::Value> = serde_json::from_str(&row[col("spans")]).unwrap();
        for sp in spans {
            expected.push(vec![
                row[col("article_id")].clone(),
                row[col("sentence_index")].clone(),
                sp["technique"].as_str().unwrap().to_string(),
                sp["start"].to_string(),
                sp["end"].to_string(),
                sp["byte_start"].to_string(),
                sp["byte_end"].to_string(),
                sp["probability"].as_f64().unwrap().to_string(),
                sp["text"].as_str().unwrap().to_string(),
            ]);
        }
    }
    let (header, rows) = read_csv(&out.join("spans.csv"));
    assert_eq!(
        header,
        [
            "article_id",
            "sentence_index",
            "technique",
            "start",
            "end",
            "byte_start",
            "byte_end",
            "probability",
            "text"
        ]
    );
    assert!(!rows.is_empty(), "the tiny model's span head found no span");
    assert_eq!(rows, expected);
}

#[test]
fn binary_engines_int8_and_float_give_the_same_rows() {
    let (dir, base, model) = tiny(ContextMode::None);
    let article = dir.path().join("article.txt");
    std::fs::write(&article, SENTENCES.join("\n")).unwrap();
    let run = |engine: &str| {
        score_jsonl(&model, &base, &article, &["--engine", engine])
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let (int8, float) = (run("int8"), run("float"));
    assert_eq!(int8.len(), float.len());
    assert!(!int8.is_empty());
    for (a, b) in int8.iter().zip(&float) {
        assert_eq!(a["text"], b["text"]);
        let (fa, fb) = (
            a["framing"].as_f64().unwrap(),
            b["framing"].as_f64().unwrap(),
        );
        assert!((fa - fb).abs() < 0.02, "{fa} vs {fb}");
    }
    let bad = rhetor()
        .args(["score", "--engine", "fp8"])
        .arg(&article)
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "a bad --engine is a usage error"
    );
}

#[test]
fn missing_base_weights_give_a_clear_error_for_an_explicit_model() {
    let (dir, _base, model) = tiny(ContextMode::None);
    let article = dir.path().join("article.txt");
    std::fs::write(&article, "One sentence.\n").unwrap();
    let out = rhetor()
        .args(["score", "--model"])
        .arg(&model)
        .arg(&article)
        .env("RHETOR_BASE_DIR", dir.path().join("nowhere"))
        .env("RHETOR_NO_SETUP", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("base weights"), "{stderr}");
}

#[test]
fn default_model_falls_back_to_cues_with_a_warning_when_base_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let article = dir.path().join("article.txt");
    std::fs::write(&article, "Let's notice that the so-called reform failed.\n").unwrap();
    let out = rhetor()
        .args(["score", "--format", "csv"])
        .arg(&article)
        .env("RHETOR_BASE_DIR", dir.path().join("nowhere"))
        .env("RHETOR_NO_SETUP", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cue model"), "{stderr}");
}

/// `rhetor train OPTIONS` on the synthetic data in `dir/train` and
/// `dir/dev` over the base weights `base`, into `out`, caching in `dir/cache`.
fn train_command(dir: &Path, base: &Path, out: &Path, options: &[&str]) -> Command {
    let mut cmd = rhetor();
    cmd.arg("train")
        .args(options)
        .arg("--train")
        .arg(dir.join("train"))
        .arg("--dev")
        .arg(dir.join("dev"))
        .arg("--out")
        .arg(out)
        .arg("--base")
        .arg(base)
        .arg("--cache")
        .arg(dir.join("cache"));
    cmd
}

fn train_tiny(extra: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, base, _model) = tiny(ContextMode::None);
    let out_dir = dir.path().join("trained");
    train_tiny_into(&dir, &base, &out_dir, extra);
    (dir, base, out_dir)
}

/// Trains on synthetic PTC-format data (written into `dir`) over the tiny
/// base; panics with the stderr when the command fails.
fn train_tiny_into(dir: &tempfile::TempDir, base: &Path, out_dir: &Path, extra: &[&str]) -> String {
    // Synthetic PTC-format data written here (not PTC text).
    let mk = |name: &str, n: usize| {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for a in 0..n {
            let lines = [
                "A title".to_string(),
                format!("The evil regime lies again {a}."),
                format!("The meeting is on day {a}."),
                "Note that this is a disaster!".to_string(),
            ];
            let text = lines.join("\n") + "\n";
            std::fs::write(d.join(format!("article{a}.txt")), &text).unwrap();
            let start = text.find("The evil").unwrap();
            let start_c = text[..start].chars().count();
            let end_c = start_c + "The evil regime".chars().count();
            std::fs::write(
                d.join(format!("article{a}.task-flc-tc.labels")),
                format!("{a}\tName_Calling,Labeling\t{start_c}\t{end_c}\n"),
            )
            .unwrap();
        }
        d
    };
    // `train_command` reads them from `dir/train` and `dir/dev`.
    mk("train", 6);
    mk("dev", 3);
    let options = [&["--quiet", "--epochs", "3", "--hidden", "4"], extra].concat();
    let out = train_command(dir.path(), base, out_dir, &options)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

#[test]
fn train_writes_a_loadable_model_on_a_tiny_synthetic_corpus() {
    let (_dir, base, out_dir) = train_tiny(&["--context", "prev_next"]);
    let config = std::fs::read_to_string(out_dir.join("config.json")).unwrap();
    assert!(config.contains("\"kind\": \"transformer\""));
    assert!(config.contains("\"sha256\""));
    let scorer = load(&out_dir, &base, false);
    assert!(scorer.uses_context());
    let s = scorer.score_batch(&inputs(&SENTENCES[..2])).unwrap();
    assert_eq!(s.len(), 2);
}

#[test]
fn fine_tuning_the_top_layer_stores_and_reloads_it() {
    let (_dir, base, out_dir) = train_tiny(&["--fine-tune-top", "1", "--batch-size", "4"]);
    let config = std::fs::read_to_string(out_dir.join("config.json")).unwrap();
    assert!(
        config.contains("\"fine_tuned_layers\": [\n    1\n  ]"),
        "{config}"
    );
    let tuned = load(&out_dir, &base, false);
    let s = tuned.score_batch(&inputs(&SENTENCES[..3])).unwrap();
    assert!(s.iter().all(|x| x.framing.is_finite()));
}

#[test]
fn fine_tuning_with_span_files_trains_a_span_head_that_finds_spans() {
    let (dir, base, out_dir) = train_tiny(&["--fine-tune-top", "1", "--batch-size", "4"]);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("config.json")).unwrap())
            .unwrap();
    // The synthetic spans are all name calling: the one PTC device trained.
    assert_eq!(
        config["span_head"]["devices"],
        serde_json::json!(["name_calling"])
    );
    let threshold = config["span_head"]["threshold"].as_f64().unwrap();
    assert!(threshold > 0.0 && threshold < 1.0, "{threshold}");
    let scorer = load(&out_dir, &base, false);
    let text = "The evil regime lies again 9.";
    let s = scorer.score_batch(&inputs(&[text])).unwrap();
    // Every word piece gets probabilities, inside the sentence.
    assert!(!s[0].tokens.is_empty());
    assert!(s[0]
        .tokens
        .iter()
        .all(|t| t.start < t.end && t.end <= text.len()));
    assert!(s[0]
        .tokens
        .iter()
        .all(|t| (0.0..=1.0).contains(&t.any) && t.devices[Device::Doubt] == 0.0));
    for span in &s[0].spans {
        assert_eq!(span.device, Device::NameCalling);
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
    }
    // No checkpoint is left once the model is written.
    assert!(!out_dir.join("checkpoint").exists());
    // The trainer's search covers the extension threshold and the join gap.
    let dev_spans = &config["training"]["metrics"]["dev_spans"];
    assert!(dev_spans["join_gap"].as_u64().unwrap() <= 3, "{dev_spans}");
    // `rhetor eval --tune` chooses the span decoding on a set with gold spans
    // and writes it into the model folder; evaluating again reproduces its SI F1.
    let eval = |extra: &[&str]| {
        let out = succeed(
            rhetor()
                .args(["eval", "--gold"])
                .arg(dir.path().join("dev"))
                .arg("--model")
                .arg(&out_dir)
                .args(extra)
                .env("RHETOR_BASE_DIR", &base),
        );
        (stdout(&out), stderr(&out))
    };
    let (tuned, err) = eval(&["--tune"]);
    assert!(err.contains("rhetor: span decoding (threshold"), "{err}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("config.json")).unwrap())
            .unwrap();
    assert!(
        config["span_head"]["threshold"].as_f64().is_some(),
        "{config}"
    );
    let si = |stdout: &str| {
        stdout
            .split("SI P")
            .nth(1)
            .map(|s| s.split(" 95%").next().unwrap().to_string())
    };
    let (again, _) = eval(&[]);
    assert!(si(&tuned).is_some(), "{tuned}");
    assert_eq!(si(&tuned), si(&again));
}

/// Trains with `args` uninterrupted into `whole`, and stopped twice then
/// resumed into `parts`; asserts both give the same model and config.
fn assert_resumed_run_matches(
    dir: &tempfile::TempDir,
    base: &Path,
    args: &[&str],
    whole: &Path,
    parts: &Path,
) {
    train_tiny_into(dir, base, whole, args);
    let stopped = train_tiny_into(
        dir,
        base,
        parts,
        &[args, &["--stop-after-epochs", "1"]].concat(),
    );
    assert!(stopped.contains("stopped after epoch 1"), "{stopped}");
    assert!(parts.join("checkpoint/state.json").is_file());
    assert!(!parts.join("config.json").exists());
    train_tiny_into(
        dir,
        base,
        parts,
        &[args, &["--stop-after-epochs", "1", "--resume"]].concat(),
    );
    train_tiny_into(dir, base, parts, &[args, &["--resume"]].concat());
    assert_eq!(
        std::fs::read(whole.join("model.safetensors")).unwrap(),
        std::fs::read(parts.join("model.safetensors")).unwrap()
    );
    assert_eq!(training_config(whole), training_config(parts));
    assert!(!parts.join("checkpoint").exists());
}

/// A model folder's config.json without the run's duration.
fn training_config(dir: &Path) -> serde_json::Value {
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    c["training"]["metrics"]["seconds"] = serde_json::Value::Null;
    c
}

#[test]
fn a_stopped_run_resumed_gives_the_same_model_as_an_uninterrupted_one() {
    let (dir, base, _model) = tiny(ContextMode::None);
    let args = [
        "--fine-tune-top",
        "1",
        "--batch-size",
        "4",
        "--patience",
        "3",
        "--name",
        "t",
    ];
    let (whole, parts) = (dir.path().join("whole"), dir.path().join("parts"));
    assert_resumed_run_matches(&dir, &base, &args, &whole, &parts);
    assert!(
        training_config(&whole)["training"]["options"]
            .get("schedule")
            .is_none(),
        "a constant rate is not recorded"
    );
    // With a learning-rate schedule the rate depends on the restored step.
    let linear = [&args[..], &["--schedule", "linear", "--warmup", "0.3"]].concat();
    let (whole_linear, parts_linear) = (dir.path().join("whole-lin"), dir.path().join("parts-lin"));
    assert_resumed_run_matches(&dir, &base, &linear, &whole_linear, &parts_linear);
    assert_eq!(
        training_config(&whole_linear)["training"]["options"]["schedule"],
        serde_json::json!({"linear": {"warmup": 0.3}})
    );
    assert_ne!(
        std::fs::read(whole.join("model.safetensors")).unwrap(),
        std::fs::read(whole_linear.join("model.safetensors")).unwrap(),
        "the schedule changes the training"
    );
    // Resuming with other options is refused, naming the checkpoint.
    let other = dir.path().join("other");
    train_tiny_into(
        &dir,
        &base,
        &other,
        &[&args[..], &["--stop-after-epochs", "1"]].concat(),
    );
    let options = [
        &["--quiet", "--resume", "--epochs", "3", "--hidden", "8"],
        &args[..],
    ]
    .concat();
    let out = train_command(dir.path(), &base, &other, &options)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("other options") && stderr.contains("state.json"),
        "{stderr}"
    );
}

#[test]
fn real_base_weights_if_present() {
    let Some(base) = common::base_weights_or_skip("real_base_weights_if_present") else {
        return;
    };
    let enc = BertEncoder::load(&base, 128, None).unwrap();
    let e = enc
        .embed_texts(&[
            "The cat sits on the mat.",
            "A cat is sitting on a mat.",
            "Stocks fell sharply.",
        ])
        .unwrap();
    let cos = |a: &[f32], b: &[f32]| {
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
        dot / (na * nb)
    };
    assert_eq!(e[0].len(), 384);
    assert!(cos(&e[0], &e[1]) > cos(&e[0], &e[2]) + 0.2);
    // The int8 engine stays within quantization noise of the float one.
    let int8 = Int8Encoder::load(&base, 128, None).unwrap();
    let q = int8
        .embed_texts(&[
            "The cat sits on the mat.",
            "A cat is sitting on a mat.",
            "Stocks fell sharply.",
        ])
        .unwrap();
    for (a, b) in q.iter().zip(&e) {
        assert!(cos(a, b) > 0.99, "int8 vs float cosine {}", cos(a, b));
    }
    assert!(cos(&q[0], &q[1]) > cos(&q[0], &q[2]) + 0.2);
}

#[test]
fn int8_and_float_engines_score_alike() {
    let (_dir, base, model) = tiny(ContextMode::None);
    let int8 = load_engine(&model, &base, false, Engine::Int8);
    let float = load_engine(&model, &base, false, Engine::Float);
    let batch = inputs(&SENTENCES);
    let a = int8.score_batch(&batch).unwrap();
    let b = float.score_batch(&batch).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!(
            (x.framing - y.framing).abs() < 0.02,
            "{} vs {}",
            x.framing,
            y.framing
        );
        for (p, q) in x.probs.values().iter().zip(y.probs.values()) {
            assert!((p - q).abs() < 0.02, "{p} vs {q}");
        }
    }
}

#[test]
fn direct_int8_load_matches_quantizing_the_float_model_on_the_shipped_model() {
    let options = rhetor::LoadOptions::from_env();
    let base = options.base.dir;
    let top = options
        .models_dir
        .join(rhetor::model::load::DEFAULT_MODEL)
        .join("model.safetensors");
    let what = "direct_int8_load_matches_quantizing_the_float_model_on_the_shipped_model";
    if common::base_weights_or_skip(what).is_none() {
        return;
    }
    if !top.is_file() {
        common::skip_or_fail(what, &format!("no {}", top.display()));
        return;
    }
    use rhetor::model::kernels::Kernel;
    let texts = [
        "The cat sits on the mat.",
        "Officials denied the so-called reform would fail, according to 12 sources.",
        "a",
    ];
    let kernel = Kernel::best();
    // The shipped model's fine-tuned top layers are stored as F16.
    let float = BertEncoder::load(&base, 128, Some(&top)).unwrap();
    let via_float = Int8Encoder::from_float(float, kernel).unwrap();
    let direct = Int8Encoder::load_with_kernel(&base, 128, Some(&top), kernel).unwrap();
    let a = direct.embed_texts(&texts).unwrap();
    let b = via_float.embed_texts(&texts).unwrap();
    assert_eq!(a, b);
    // Every kernel this CPU supports gives the same bits on the real model.
    for other in Kernel::supported() {
        let enc = Int8Encoder::load_with_kernel(&base, 128, Some(&top), other).unwrap();
        assert_eq!(enc.embed_texts(&texts).unwrap(), a, "{other}");
    }
}

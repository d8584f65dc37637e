//! `rhetor train --labels` through the real binary, on a tiny randomly
//! initialised base model (fast in a debug build): the model folder follows
//! the on-disk contract, the model card has the figures with intervals, a
//! stopped run resumes, and a bad cell fails naming file, line and column.

mod common;

use common::{offline, stderr};
use rhetor::model::tiny::write_tiny_base;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A coded file in the format `rhetor sample` writes (plus a coder column):
/// 80 sentences, labels `blame` (sentences with "evil") and `note`
/// (sentences with "note"), a few cells left empty.
fn coded_sample(dir: &Path) -> PathBuf {
    let mut csv = String::from(
        "article_id,sentence_index,stratum,coder,inclusion_probability,context_before,text,context_after,blame,note\n",
    );
    for i in 0..80 {
        let blame = i % 3 == 0;
        let note = i % 4 == 0;
        let text = format!(
            "{} sentence {i} is {} of the day.",
            if blame { "the evil" } else { "a plain" },
            if note { "a note" } else { "part" }
        );
        let note_cell = if i % 10 == 9 {
            ""
        } else if note {
            "1"
        } else {
            "0"
        };
        csv.push_str(&format!(
            "a{},{},all,ann,1,,\"{text}\",,{},{note_cell}\n",
            i / 10,
            i % 10,
            u8::from(blame)
        ));
    }
    common::write(dir, "coded.csv", csv.as_bytes())
}

fn train(base: &Path, data: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut cmd = offline();
    cmd.args(["train", "--labels"])
        .arg(data)
        .args(["--label", "blame", "--label", "note", "--out"])
        .arg(out)
        .arg("--base")
        .arg(base)
        .args(["--epochs", "3", "--folds", "3", "--hidden", "8", "--quiet"])
        .args(["--definition", "blame=Blames someone", "--cache"])
        .arg(out.with_extension("cache"))
        .args(extra);
    cmd.output().expect("rhetor runs")
}

fn base_in(dir: &Path) -> PathBuf {
    let base = dir.join("base");
    write_tiny_base(&base, 1).unwrap();
    base
}

#[test]
fn a_coded_sample_file_trains_into_a_model_folder_of_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_in(dir.path());
    let data = coded_sample(dir.path());
    let out = dir.path().join("M");
    let run = train(&base, &data, &out, &["--fine-tune-top", "0"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("80 rows read"), "{err}");
    assert!(err.contains("8 empty cells skipped"), "{err}");

    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["kind"], "transformer");
    assert_eq!(config["name"], "M");
    assert_eq!(
        config["labels"],
        serde_json::json!(["blame", "note", "framing"])
    );
    assert_eq!(config["trained_labels"], config["labels"]);
    assert_eq!(config["label_set"][0]["name"], "blame");
    assert_eq!(config["label_set"][0]["definition"], "Blames someone");
    assert_eq!(
        config["label_set"][1]["definition"],
        "Coded `note` in coded.csv"
    );
    assert_eq!(config["label_set"][1]["level"], "sentence");
    assert_eq!(config["head"]["outputs"], 3);
    assert_eq!(config["head"]["hidden"], 8);
    assert_eq!(config["fine_tuned_layers"], serde_json::json!([]));
    // The frozen encoder's default: every layer's mean, unit length each, concatenated.
    assert_eq!(config["pooling"], "mean_of_layers");
    let base_config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("config.json")).unwrap()).unwrap();
    let (hidden, layers) = (
        base_config["hidden_size"].as_u64().unwrap(),
        base_config["num_hidden_layers"].as_u64().unwrap(),
    );
    assert_eq!(config["head"]["input_dim"], hidden * layers);
    assert_eq!(config["context"], "none");
    let t = &config["thresholds"];
    for name in ["blame", "note"] {
        let v = t["labels"][name].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{name}: {v}");
    }
    assert!(t["framing"].as_f64().is_some());
    let training = &config["training"];
    assert_eq!(training["train_data"]["rows"], 80);
    assert_eq!(training["train_data"]["sha256"].as_str().unwrap().len(), 64);
    assert!(training["command"].as_str().unwrap().contains("--labels"));

    let weights =
        candle_core::safetensors::load(out.join("model.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    assert_eq!(weights["head.out.weight"].dims(), [3, 8]);
    assert_eq!(weights["head.out.weight"].dtype(), candle_core::DType::F16);

    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    for needle in [
        "`blame`",
        "`note`",
        "`framing`",
        "95 %",
        "–",
        "licence: unknown",
        "coded.csv",
    ] {
        assert!(card.contains(needle), "no {needle:?} in the card:\n{card}");
    }
    assert!(!out.join("checkpoint").exists());
}

#[test]
fn a_stopped_run_resumes_to_the_same_model() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_in(dir.path());
    let data = coded_sample(dir.path());
    let whole = dir.path().join("whole");
    let frozen = ["--fine-tune-top", "0"];
    assert!(train(&base, &data, &whole, &frozen).status.success());
    let parts = dir.path().join("parts");
    let first = train(
        &base,
        &data,
        &parts,
        &["--fine-tune-top", "0", "--stop-after-folds", "1"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("stopped after fold 1"),
        "{}",
        stderr(&first)
    );
    assert!(parts.join("checkpoint").is_dir());
    assert!(!parts.join("config.json").exists());
    let rest = train(&base, &data, &parts, &["--fine-tune-top", "0", "--resume"]);
    assert!(rest.status.success(), "{}", stderr(&rest));
    let thresholds = |d: &Path| {
        let c: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("config.json")).unwrap()).unwrap();
        c["thresholds"].clone()
    };
    assert_eq!(thresholds(&whole), thresholds(&parts));
    assert_eq!(
        std::fs::read(whole.join("model.safetensors")).unwrap(),
        std::fs::read(parts.join("model.safetensors")).unwrap()
    );
}

#[test]
fn a_bad_cell_fails_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_in(dir.path());
    let data = common::write(
        dir.path(),
        "bad.csv",
        b"text,blame,note\nA.,1,0\nB.,0,maybe\n",
    );
    let run = train(&base, &data, &dir.path().join("M"), &[]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(err.contains("bad.csv:3"), "{err}");
    assert!(err.contains("`note`"), "{err}");
    assert!(err.contains("maybe"), "{err}");
}

#[test]
fn fine_tuning_the_top_layer_writes_its_tensors_and_index() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_in(dir.path());
    let data = coded_sample(dir.path());
    let out = dir.path().join("FT");
    let run = train(&base, &data, &out, &["--fine-tune-top", "1"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    // The tiny base has two layers: layer 1 is the top one.
    assert_eq!(config["fine_tuned_layers"], serde_json::json!([1]));
    assert_eq!(config["training"]["options"]["fine_tune_top"], 1);
    // Fine-tuning pools the last layer.
    assert_eq!(config["pooling"], "mean");
    let weights =
        candle_core::safetensors::load(out.join("model.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    assert!(weights.contains_key("head.out.weight"));
    let layer: Vec<&String> = weights
        .keys()
        .filter(|n| n.starts_with("encoder.layer.1."))
        .collect();
    assert!(
        layer
            .iter()
            .any(|n| n.ends_with("attention.self.query.weight")),
        "{layer:?}"
    );
    assert!(weights
        .keys()
        .all(|n| n.starts_with("head.") || n.starts_with("encoder.layer.1.")));
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("hold-out"), "{card}");
    assert!(card.contains("top 1 layer"), "{card}");
    assert!(!out.join("checkpoint").exists());
    let refused = train(
        &base,
        &data,
        &dir.path().join("R"),
        &["--fine-tune-top", "1", "--stop-after-folds", "1"],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("not checkpointed"),
        "{}",
        stderr(&refused)
    );
    let refused = train(
        &base,
        &data,
        &dir.path().join("P"),
        &["--fine-tune-top", "1", "--pooling", "mean-of-layers"],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("needs the frozen encoder"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn a_model_trained_with_every_layer_pooled_scores_alike_on_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_in(dir.path());
    let data = coded_sample(dir.path());
    let out = dir.path().join("M");
    // The default: frozen encoder, mean_of_layers.
    let run = train(&base, &data, &out, &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text =
        "the evil sentence 1 is a note of the day.\na plain sentence 2 is part of the day.\n";
    let file = common::write(dir.path(), "lines.txt", text.as_bytes());
    let mut by_engine = Vec::new();
    for engine in ["int8", "float"] {
        let o = offline()
            .env("RHETOR_BASE_DIR", &base)
            .args(["score", "--lines", "--format", "csv", "--engine", engine])
            .arg("--model")
            .arg(&out)
            .arg(&file)
            .output()
            .expect("rhetor runs");
        assert!(o.status.success(), "{engine}: {}", stderr(&o));
        let path = common::write(dir.path(), &format!("{engine}.csv"), &o.stdout);
        let (header, rows) = common::read_csv(&path);
        assert_eq!(rows.len(), 2, "{engine}: one row per line");
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let probs: Vec<[f64; 2]> = rows
            .iter()
            .map(|r| {
                [
                    r[col("blame")].parse().unwrap(),
                    r[col("note")].parse().unwrap(),
                ]
            })
            .collect();
        by_engine.push(probs);
    }
    for (a, b) in by_engine[0].iter().zip(&by_engine[1]) {
        for (x, y) in a.iter().zip(b) {
            assert!((0.0..=1.0).contains(x), "{x}");
            assert!((x - y).abs() < 0.02, "int8 {x} vs float {y}");
        }
    }
}

/// `../shared/checkthat-subj-en/NAME` as a coded CSV (`text,subjective`).
fn checkthat_as_coded(tsv: &Path, out: &Path) {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .flexible(true)
        .from_path(tsv)
        .unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (text, label) = (col("sentence"), col("label"));
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            let y = match &rec[label] {
                "SUBJ" => "1",
                "OBJ" => "0",
                other => panic!("{}: label {other}", tsv.display()),
            };
            vec![rec[text].to_string(), y.to_string()]
        })
        .collect();
    common::write_csv(out, &["text".into(), "subjective".into()], &rows);
}

/// The acceptance path on real data: CheckThat! train (830 coded sentences)
/// → `rhetor train --labels` with its defaults → `rhetor eval` on CheckThat!
/// dev (462 sentences it never saw). Measured 0.729 macro-F1 (95 % CI
/// 0.685–0.769; docs/training-your-own-labels.md); the floor guards against
/// a regression, not a tuned number.
#[test]
fn checkthat_trained_with_the_defaults_reaches_its_measured_level_on_dev() {
    let what = "checkthat_trained_with_the_defaults_reaches_its_measured_level_on_dev";
    let Some(base) = common::base_weights_or_skip(what) else {
        return;
    };
    let Some(ct) = common::shared_or_skip(what, "checkthat-subj-en") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (train_csv, dev_csv) = (dir.path().join("train.csv"), dir.path().join("dev.csv"));
    checkthat_as_coded(&ct.join("train_en.tsv"), &train_csv);
    checkthat_as_coded(&ct.join("dev_en.tsv"), &dev_csv);
    let model = dir.path().join("M");
    let run = offline()
        .args(["train", "--labels"])
        .arg(&train_csv)
        .args(["--label", "subjective", "--quiet", "--out"])
        .arg(&model)
        .arg("--base")
        .arg(&base)
        .arg("--cache")
        .arg(dir.path().join("cache"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let out = dir.path().join("E");
    let eval = offline()
        .env("RHETOR_BASE_DIR", &base)
        .args(["eval", "--model"])
        .arg(&model)
        .arg("--gold")
        .arg(&dev_csv)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(eval.status.success(), "{}", stderr(&eval));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let f = &m["figures"][0];
    assert_eq!(f["name"], "subjective");
    assert_eq!(
        (f["sentences"].as_u64(), f["positives"].as_u64()),
        (Some(462), Some(240))
    );
    let macro_f1 = f["macro_f1"].as_f64().unwrap();
    assert!(
        macro_f1 >= 0.70,
        "CheckThat! dev macro-F1 {macro_f1:.3} < 0.70"
    );
}

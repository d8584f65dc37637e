//! Writing a `--labels` model folder: `config.json` in the on-disk contract
//! of models with their own label set (built as JSON here, see
//! [`labels_config`]), `model.safetensors` (the fp16 head, as the shipped
//! trainer writes it) and `MODEL_CARD.md`.

use super::labels::{LabelFigures, LabelModel, LabelReport, LabelTrainer};
use crate::error::{Error, Result};
use crate::io::coded::CodedFile;
use crate::model::head::{save_tensors, ContextMode, HeadConfig};
use crate::model::setup;
use crate::model::transformer::{BaseInfo, Pooling, TransformerKind};
use crate::taxonomy::LabelSet;
use candle_core::DType;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Where the model came from, beyond the options: for the config's
/// `training` section and the model card.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// The command line that trained the model.
    pub command: String,
    /// The training data's licence, when the user stated it.
    pub data_licence: Option<String>,
}

/// The `config.json` of a model with its own label set: `label_set` (name,
/// definition, level per label), `labels` and `trained_labels` (the label
/// names in order, then `framing`), the head's shape, the thresholds
/// (`{"labels": {name: t}, "framing": t}`), the fine-tuned layers' indices
/// (their tensors `encoder.layer.N.*` are in `model.safetensors`), and
/// `training` as given.
#[allow(clippy::too_many_arguments)]
pub fn labels_config(
    name: &str,
    base_sha: &str,
    labels: &LabelSet,
    head: HeadConfig,
    pooling: Pooling,
    max_len: usize,
    thresholds: &[f32],
    fine_tuned_layers: &[usize],
    training: Value,
) -> Result<Value> {
    let to = |v: Result<Value, serde_json::Error>| {
        v.map_err(|e| Error::Config(format!("cannot serialise the model config: {e}")))
    };
    let base = BaseInfo {
        hf_id: setup::BASE_HF_ID.into(),
        safetensors_sha256: Some(base_sha.to_string()),
    };
    let outputs: Vec<&str> = labels.names().chain(["framing"]).collect();
    let per_label: serde_json::Map<String, Value> = labels
        .names()
        .zip(thresholds)
        .map(|(n, t)| (n.to_string(), json!(t)))
        .collect();
    let framing = thresholds.get(labels.len()).copied().unwrap_or(0.5);
    Ok(json!({
        "kind": to(serde_json::to_value(TransformerKind::Transformer))?,
        "name": name,
        "base": to(serde_json::to_value(base))?,
        "label_set": to(serde_json::to_value(labels))?,
        "labels": outputs,
        "trained_labels": outputs,
        "pooling": to(serde_json::to_value(pooling))?,
        "max_len": max_len,
        "context": to(serde_json::to_value(ContextMode::None))?,
        "head": to(serde_json::to_value(head))?,
        "fine_tuned_layers": fine_tuned_layers,
        "thresholds": {"labels": per_label, "framing": framing},
        "training": training,
    }))
}

/// The provenance of one coded file.
fn data_of(file: &CodedFile) -> Value {
    json!({"path": file.source, "sha256": file.sha256, "format": file.format.id(),
           "rows": file.rows.len(), "labels": file.counts()})
}

/// Writes `config.json`, `model.safetensors` and `MODEL_CARD.md` to `out`.
pub fn write_label_model(
    out: &Path,
    trainer: &LabelTrainer,
    train: &CodedFile,
    dev: Option<&CodedFile>,
    model: &LabelModel,
    provenance: &Provenance,
) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let opts = trainer.options();
    let fine_tuned_layers: Vec<usize> =
        (model.top_start..model.top_start + model.layers.len()).collect();
    let training = json!({
        "mode": "labels",
        "train_data": data_of(train),
        "dev_data": dev.map(data_of),
        "data_licence": provenance.data_licence,
        "options": opts,
        "metrics": model.report,
        "command": provenance.command,
        "note": "thresholds and the epoch count are chosen on the same predictions the figures come from (out-of-fold, hold-out or dev): the figures are slightly optimistic",
    });
    let config = labels_config(
        &opts.name,
        &trainer.base_sha,
        trainer.labels(),
        model.head.config(),
        opts.pooling,
        opts.max_len,
        &model.thresholds,
        &fine_tuned_layers,
        training,
    )?;
    let mut tensors = model.head.tensors();
    for (k, layer) in model.layers.iter().enumerate() {
        for (name, t) in layer {
            let full = format!("encoder.layer.{}.{name}", model.top_start + k);
            tensors.insert(full, t.clone());
        }
    }
    save_tensors(&tensors, DType::F16, &out.join("model.safetensors"))?;
    crate::json::write_pretty(&out.join("config.json"), &config)?;
    let card = model_card(trainer, train, dev, &model.report, provenance);
    let path = out.join("MODEL_CARD.md");
    std::fs::write(&path, card).map_err(|e| Error::io(&path, e))
}

fn interval(f: f64, ci: crate::stats::Interval) -> String {
    format!("{f:.3} ({:.3}–{:.3})", ci.low, ci.high)
}

fn figures_table(figures: &[LabelFigures]) -> String {
    let mut s = String::from(
        "| label | sentences | positives | threshold | precision | recall | F1 | macro-F1 |\n|---|---|---|---|---|---|---|---|\n",
    );
    for f in figures {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {:.3} | {} | {} | {} | {} |",
            f.name,
            f.sentences,
            f.positives,
            f.threshold,
            interval(f.precision, f.precision_ci95),
            interval(f.recall, f.recall_ci95),
            interval(f.f1, f.f1_ci95),
            interval(f.macro_f1, f.macro_f1_ci95),
        );
    }
    s
}

/// `MODEL_CARD.md`: data, labels, figures with 95 % intervals, thresholds,
/// command, time, limitations.
pub fn model_card(
    trainer: &LabelTrainer,
    train: &CodedFile,
    dev: Option<&CodedFile>,
    report: &LabelReport,
    provenance: &Provenance,
) -> String {
    let opts = trainer.options();
    let mut s = format!("# Model card: `{}`\n\n", opts.name);
    if opts.fine_tune_top == 0 {
        s.push_str("A sentence classifier for a user's own labels, trained by `rhetor train --labels`: a head on the frozen `sentence-transformers/all-MiniLM-L6-v2` encoder (mean-pooled embeddings; no encoder layer fine-tuned).\n\n");
    } else {
        let _ = write!(
            s,
            "A sentence classifier for a user's own labels, trained by `rhetor train --labels`: a head on the `sentence-transformers/all-MiniLM-L6-v2` encoder (mean-pooled embeddings) whose top {} layer(s) were fine-tuned with the head.\n\n",
            opts.fine_tune_top
        );
    }
    s.push_str("## Labels\n\n| label | definition | coded | positives | not coded (skipped) |\n|---|---|---|---|---|\n");
    for (def, c) in trainer.labels().labels().iter().zip(&report.train_counts) {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            def.name, def.definition, c.coded, c.positives, c.not_coded
        );
    }
    s.push_str(if trainer.labels().len() == 1 {
        "\n`framing` (and the `flagged` column when scoring) is the one label: same weights, same threshold. It is not the shipped model's notion of framing.\n\n"
    } else {
        "\n`framing` (and the `flagged` column when scoring) means *some label of this set is positive*: an extra output with its own threshold. It is not the shipped model's notion of framing.\n\n"
    });
    let _ = write!(
        s,
        "## Data\n\n- training file: `{}` ({}, {} rows, SHA-256 `{}`)\n",
        train.source,
        train.format.id(),
        train.rows.len(),
        train.sha256
    );
    if let Some(dev) = dev {
        let _ = writeln!(
            s,
            "- dev file: `{}` ({} rows, SHA-256 `{}`)",
            dev.source,
            dev.rows.len(),
            dev.sha256
        );
    }
    let _ = writeln!(
        s,
        "- data licence: {}\n- base model: `{}` (weights SHA-256 `{}`)\n",
        provenance
            .data_licence
            .as_deref()
            .unwrap_or("unknown (not stated; pass --data-licence)"),
        setup::BASE_HF_ID,
        trainer.base_sha
    );
    let how = if opts.fine_tune_top == 0 {
        format!(
            "Chosen by {}; the head was then trained on every training sentence for {} epochs.",
            report.selection, report.epochs
        )
    } else {
        format!(
            "Figures of {}: the epoch (early stopping on its macro-F1, best: epoch {}) and the thresholds were chosen on it, and the model written is that epoch's, trained on the other rows only (not retrained on every row, to save time).",
            report.selection, report.epochs
        )
    };
    let _ = write!(
        s,
        "## Figures\n\n{} Decisions are `probability ≥ threshold`; thresholds maximise each label's macro-F1 (mean of the F1 of the positive and the negative class). Intervals: 95 % percentile bootstrap over sentences ({} resamples).\n\n{}\n",
        how,
        crate::stats::bootstrap::DEFAULT_RESAMPLES,
        figures_table(&report.figures)
    );
    s.push_str("The epoch count and the thresholds were chosen on the same predictions these figures come from, so they are slightly optimistic; measure on coded sentences the model never saw (`rhetor sample`, code, `rhetor compare --gold`).\n\n");
    if let Some(test) = &report.test {
        let _ = write!(
            s,
            "Held-out test file, scored with the written model:\n\n{}\n",
            figures_table(test)
        );
    }
    let _ = write!(
        s,
        "## Training\n\n- command: `{}`\n- time: {:.0} s\n- options: hidden {}, at most {} epochs, lr {}, dropout {}, weight decay {}, batch {}, seed {}, {} folds, {} fine-tuned layer(s) (encoder lr {})\n\n",
        provenance.command,
        report.seconds,
        opts.hidden,
        opts.epochs,
        opts.lr,
        opts.dropout,
        opts.weight_decay,
        opts.batch_size,
        opts.seed,
        opts.folds,
        opts.fine_tune_top,
        opts.encoder_lr
    );
    s.push_str("## Limitations\n\n- Few coded sentences give wide intervals: read the intervals, not the point figures; labels with fewer than ~50 positives are unreliable.\n- Domain shift: the figures hold for sentences like the training file's (source, period, topic); other outlets or genres can score much lower.\n- The model only knows what the coders did: unclear or inconsistent definitions are learnt as they were applied.\n- Sentence-level only: no spans, no context beyond the sentence; text past 128 word pieces is cut.\n- `framing` = any of these labels, nothing more.\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::{LabelDef, LabelLevel};

    #[test]
    fn the_config_has_the_contract_shape() {
        let labels = LabelSet::new(vec![LabelDef {
            name: "biased".into(),
            definition: "Coded `biased` in train.csv".into(),
            level: LabelLevel::Sentence,
        }])
        .unwrap();
        let head = HeadConfig {
            input_dim: 384,
            hidden: 256,
            outputs: 2,
        };
        let c = labels_config(
            "M",
            "abc",
            &labels,
            head,
            Pooling::Mean,
            128,
            &[0.41, 0.5],
            &[],
            json!({"x": 1}),
        )
        .unwrap();
        assert_eq!(c["kind"], "transformer");
        assert_eq!(c["name"], "M");
        assert_eq!(c["base"]["hf_id"], setup::BASE_HF_ID);
        assert_eq!(c["base"]["safetensors_sha256"], "abc");
        assert_eq!(
            c["label_set"],
            json!([{"name": "biased", "definition": "Coded `biased` in train.csv", "level": "sentence"}])
        );
        assert_eq!(c["labels"], json!(["biased", "framing"]));
        assert_eq!(c["trained_labels"], json!(["biased", "framing"]));
        assert_eq!(c["pooling"], "mean");
        assert_eq!(c["max_len"], 128);
        assert_eq!(c["context"], "none");
        assert_eq!(
            c["head"],
            json!({"input_dim": 384, "hidden": 256, "outputs": 2})
        );
        assert_eq!(c["fine_tuned_layers"], json!([]));
        let t = &c["thresholds"];
        assert!((t["labels"]["biased"].as_f64().unwrap() - 0.41).abs() < 1e-6);
        assert_eq!(t["framing"], 0.5);
        assert_eq!(c["training"]["x"], 1);
    }
}

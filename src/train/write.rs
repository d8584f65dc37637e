//! Writing the model folder: `config.json` (with provenance and metrics) and
//! `model.safetensors` (fp16 head, span head and fine-tuned layers).

use super::data::Split;
use super::transformer::{Fitted, Trainer};
use super::TrainReport;
use crate::error::{Error, Result};
use crate::model::head::save_tensors;
use crate::model::setup;
use crate::model::transformer::{
    all_labels, BaseInfo, Pooling, TransformerConfig, TransformerKind,
};
use crate::model::Thresholds;
use candle_core::DType;
use std::path::Path;

impl Trainer {
    /// The model's `config.json`, with provenance and metrics under `training`.
    pub(super) fn config(
        &self,
        fitted: &Fitted,
        thresholds: Thresholds,
        report: &TrainReport,
    ) -> TransformerConfig {
        let labels = all_labels();
        let trained_labels = labels
            .iter()
            .zip(&self.trained)
            .filter(|(_, t)| **t)
            .map(|(l, _)| l.clone())
            .collect();
        let top_start = self.top_start(fitted);
        let data = |split: &Split| {
            let sets: Vec<serde_json::Value> = split
                .sources
                .iter()
                .map(|s| {
                    serde_json::json!({"path": s.path.display().to_string(), "sha256": s.sha256,
                                       "articles": s.articles, "lines": s.rows.len()})
                })
                .collect();
            serde_json::Value::Array(sets)
        };
        TransformerConfig {
            kind: TransformerKind::Transformer,
            name: self.opts.name.clone(),
            base: BaseInfo {
                hf_id: setup::BASE_HF_ID.into(),
                safetensors_sha256: Some(self.base_sha.clone()),
            },
            label_set: None,
            labels,
            trained_labels,
            pooling: Pooling::Mean,
            max_len: self.opts.max_len,
            context: self.opts.context,
            head: fitted.head.config(),
            fine_tuned_layers: (top_start..top_start + fitted.layers.len()).collect(),
            thresholds,
            framing_calibration: None,
            attributed_voice_factor: None,
            coherent_framing: false,
            span_head: None,
            training: serde_json::json!({
                "train_data": data(&self.train),
                "dev_data": data(&self.dev),
                "options": self.opts,
                "metrics": report,
                "note": "thresholds and early stopping use the dev split; dev figures are therefore optimistic",
            }),
        }
    }

    /// Index of the first fine-tuned encoder layer.
    pub(super) fn top_start(&self, fitted: &Fitted) -> usize {
        self.encoder.model().num_layers() - fitted.layers.len()
    }

    /// Writes `config.json` and `model.safetensors` (fp16 head + fine-tuned layers).
    pub(super) fn write_model(
        out: &Path,
        config: &TransformerConfig,
        fitted: &Fitted,
    ) -> Result<()> {
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        let mut tensors = fitted.head.tensors();
        let top_start = config.fine_tuned_layers.first().copied().unwrap_or(0);
        for (k, layer) in fitted.layers.iter().enumerate() {
            for (name, t) in layer {
                tensors.insert(format!("encoder.layer.{}.{name}", top_start + k), t.clone());
            }
        }
        if let Some(span_head) = &fitted.span_head {
            tensors.extend(span_head.tensors()?);
        }
        save_tensors(&tensors, DType::F16, &out.join("model.safetensors"))?;
        crate::json::write_pretty(&out.join("config.json"), config)
    }
}

//! A tiny randomly initialised BERT (base folder + transformer model folder),
//! written to disk so tests and benches exercise the real loading, tokenizing,
//! batching and scoring code without the real base weights.

use super::head::{save_tensors, ContextMode, HeadConfig};
use super::span_head::{self, SpanHeadConfig};
use super::transformer::{all_labels, BaseInfo, Pooling, TransformerConfig, TransformerKind};
use super::Thresholds;
use crate::error::{Error, Result};
use crate::taxonomy::{Device, LabelDef, LabelLevel, LabelSet};
use candle_core::{DType, Device as CDevice, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::Path;

/// Hidden width of the tiny model.
pub const TINY_HIDDEN: usize = 16;
const TINY_LAYERS: usize = 2;
const TINY_HEADS: usize = 2;
const TINY_FF: usize = 32;
const TINY_POSITIONS: usize = 160;

/// The tiny vocabulary: special tokens, letters, continuation letters, digits,
/// punctuation and a few words.
fn vocab() -> Vec<String> {
    let mut v: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for c in 'a'..='z' {
        v.push(c.to_string());
    }
    for c in 'a'..='z' {
        v.push(format!("##{c}"));
    }
    for c in '0'..='9' {
        v.push(c.to_string());
        v.push(format!("##{c}"));
    }
    for p in [".", ",", "!", "?", "'", "\"", ":", ";", "-", "(", ")"] {
        v.push(p.to_string());
    }
    for w in [
        "the", "a", "is", "of", "and", "to", "in", "that", "it", "this", "evil", "note", "let",
    ] {
        v.push(w.to_string());
    }
    v
}

fn tokenizer_json(vocab: &[String]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), serde_json::Value::from(i)))
        .collect();
    let added: Vec<serde_json::Value> = vocab[..5]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({"id": i, "special": true, "content": t, "single_word": false,
                "lstrip": false, "rstrip": false, "normalized": false})
        })
        .collect();
    serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": map}
    })
}

fn write(path: &Path, content: &str) -> Result<()> {
    std::fs::write(path, content).map_err(|e| Error::io(path, e))
}

fn random(rng: &mut StdRng, shape: &[usize], scale: f32) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.gen_range(-scale..scale)).collect();
    Ok(Tensor::from_vec(v, shape, &CDevice::Cpu)?)
}

fn constant(shape: &[usize], value: f32) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    Ok(Tensor::from_vec(vec![value; n], shape, &CDevice::Cpu)?)
}

/// Writes a tiny random BERT base folder (`config.json`, `tokenizer.json`,
/// `vocab.txt`, `model.safetensors`) into `dir`.
pub fn write_tiny_base(dir: &Path, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let vocab = vocab();
    let config = serde_json::json!({
        "vocab_size": vocab.len(), "hidden_size": TINY_HIDDEN, "num_hidden_layers": TINY_LAYERS,
        "num_attention_heads": TINY_HEADS, "intermediate_size": TINY_FF,
        "max_position_embeddings": TINY_POSITIONS, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
        "hidden_act": "gelu", "model_type": "bert"
    });
    write(&dir.join("config.json"), &config.to_string())?;
    write(
        &dir.join("tokenizer.json"),
        &tokenizer_json(&vocab).to_string(),
    )?;
    write(&dir.join("vocab.txt"), &(vocab.join("\n") + "\n"))?;
    let mut rng = StdRng::seed_from_u64(seed);
    let h = TINY_HIDDEN;
    let mut t: HashMap<String, Tensor> = HashMap::new();
    t.insert(
        "embeddings.word_embeddings.weight".into(),
        random(&mut rng, &[vocab.len(), h], 0.5)?,
    );
    t.insert(
        "embeddings.position_embeddings.weight".into(),
        random(&mut rng, &[TINY_POSITIONS, h], 0.1)?,
    );
    t.insert(
        "embeddings.token_type_embeddings.weight".into(),
        random(&mut rng, &[2, h], 0.1)?,
    );
    t.insert("embeddings.LayerNorm.weight".into(), constant(&[h], 1.0)?);
    t.insert("embeddings.LayerNorm.bias".into(), constant(&[h], 0.0)?);
    for l in 0..TINY_LAYERS {
        let p = format!("encoder.layer.{l}.");
        let linears = [
            ("attention.self.query", h, h),
            ("attention.self.key", h, h),
            ("attention.self.value", h, h),
            ("attention.output.dense", h, h),
            ("intermediate.dense", TINY_FF, h),
            ("output.dense", h, TINY_FF),
        ];
        for (name, out, inp) in linears {
            t.insert(
                format!("{p}{name}.weight"),
                random(&mut rng, &[out, inp], 0.3)?,
            );
            t.insert(format!("{p}{name}.bias"), random(&mut rng, &[out], 0.05)?);
        }
        for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
            t.insert(format!("{p}{norm}.weight"), constant(&[h], 1.0)?);
            t.insert(format!("{p}{norm}.bias"), constant(&[h], 0.0)?);
        }
    }
    save_tensors(&t, DType::F32, &dir.join("model.safetensors"))
}

/// Writes a transformer model folder with a random head (hidden width 8) for
/// the tiny base, using `context`.
pub fn write_tiny_model(dir: &Path, context: ContextMode, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let outputs = Device::ALL.len() + 1;
    let head = HeadConfig {
        input_dim: TINY_HIDDEN * context.parts(),
        hidden: 8,
        outputs,
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut t: HashMap<String, Tensor> = HashMap::new();
    t.insert(
        "head.hidden.weight".into(),
        random(&mut rng, &[8, head.input_dim], 0.5)?,
    );
    t.insert("head.hidden.bias".into(), random(&mut rng, &[8], 0.1)?);
    t.insert(
        "head.out.weight".into(),
        random(&mut rng, &[outputs, 8], 0.5)?,
    );
    t.insert("head.out.bias".into(), random(&mut rng, &[outputs], 0.1)?);
    let span_head = SpanHeadConfig::new(
        Device::ALL.iter().copied().filter(|d| d.is_ptc()).collect(),
        0.5,
    );
    t.insert(
        span_head::WEIGHT.into(),
        random(&mut rng, &[span_head.outputs(), TINY_HIDDEN], 0.5)?,
    );
    t.insert(
        span_head::BIAS.into(),
        random(&mut rng, &[span_head.outputs()], 0.1)?,
    );
    save_tensors(&t, DType::F16, &dir.join("model.safetensors"))?;
    let labels = all_labels();
    let trained = labels
        .iter()
        .filter(|l| *l != Device::EditorialAside.id())
        .cloned()
        .collect();
    let config = TransformerConfig {
        kind: TransformerKind::Transformer,
        name: "tiny".into(),
        base: BaseInfo {
            hf_id: "tiny-random-bert".into(),
            safetensors_sha256: None,
        },
        label_set: None,
        labels,
        trained_labels: trained,
        pooling: Pooling::Mean,
        max_len: crate::tokenize::DEFAULT_MAX_LEN,
        context,
        head,
        fine_tuned_layers: vec![],
        framing_calibration: None,
        attributed_voice_factor: None,
        coherent_framing: false,
        span_head: Some(span_head),
        thresholds: Thresholds::default(),
        training: serde_json::Value::Null,
    };
    write(
        &dir.join("config.json"),
        &crate::json::pretty_text(&config)?,
    )
}

/// Writes a transformer model folder for the tiny base whose `config.json`
/// declares its own label set (the on-disk contract of a model trained with
/// `rhetor train --labels`): `labels` are `(name, threshold)` pairs, in
/// order; the random head (hidden width 8, no span head, no context) has one
/// output per label then `framing`, every one trained.
pub fn write_tiny_labelled_model(dir: &Path, labels: &[(&str, f32)], seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let set = LabelSet::new(
        labels
            .iter()
            .map(|(name, _)| LabelDef {
                name: name.to_string(),
                definition: format!("The sentence shows {}.", name.replace('_', " ")),
                level: LabelLevel::Sentence,
            })
            .collect(),
    )
    .map_err(|e| Error::Config(e.to_string()))?;
    let outputs = labels.len() + 1;
    let head = HeadConfig {
        input_dim: TINY_HIDDEN,
        hidden: 8,
        outputs,
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut t: HashMap<String, Tensor> = HashMap::new();
    t.insert(
        "head.hidden.weight".into(),
        random(&mut rng, &[8, head.input_dim], 0.5)?,
    );
    t.insert("head.hidden.bias".into(), random(&mut rng, &[8], 0.1)?);
    t.insert(
        "head.out.weight".into(),
        random(&mut rng, &[outputs, 8], 0.5)?,
    );
    t.insert("head.out.bias".into(), random(&mut rng, &[outputs], 0.1)?);
    save_tensors(&t, DType::F16, &dir.join("model.safetensors"))?;
    let names: Vec<String> = set.names().chain(["framing"]).map(str::to_string).collect();
    let thresholds = Thresholds {
        labels: Some(labels.iter().map(|(n, t)| (n.to_string(), *t)).collect()),
        ..Thresholds::default()
    };
    let config = TransformerConfig {
        kind: TransformerKind::Transformer,
        name: "tiny-labelled".into(),
        base: BaseInfo {
            hf_id: "tiny-random-bert".into(),
            safetensors_sha256: None,
        },
        label_set: Some(set),
        trained_labels: names.clone(),
        labels: names,
        pooling: Pooling::Mean,
        max_len: crate::tokenize::DEFAULT_MAX_LEN,
        context: ContextMode::None,
        head,
        fine_tuned_layers: vec![],
        framing_calibration: None,
        attributed_voice_factor: None,
        coherent_framing: false,
        span_head: None,
        thresholds,
        training: serde_json::Value::Null,
    };
    write(
        &dir.join("config.json"),
        &crate::json::pretty_text(&config)?,
    )
}

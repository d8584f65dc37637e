//! Calibrates and checks the cue model on the Propaganda Techniques Corpus.
//!
//! ```text
//! cargo run --release --example cues_ptc -- eval ../shared/ptc/dev [patterns.toml]
//! cargo run --release --example cues_ptc -- fit  ../shared/ptc/train OUT.toml [patterns.toml]
//! ```
//!
//! `eval` prints the binary sentence-level (non-empty line) P/R/F1 of the
//! `framing` score at the model's threshold, and per-device F1 for the PTC
//! devices. `fit` refits, on the given split only, the device biases, the
//! weights of the PTC devices' features (L2-regularised logistic regression
//! towards the hand-set weights, weights kept >= 0), the framing layer (bias
//! and gains of the PTC devices) and the thresholds (best F1 on that split,
//! at least 0.1, at most what the device's strongest single cue gives alone),
//! and writes an updated copy of the pattern file to OUT.toml.
//!
//! This is a throwaway calibration tool, not the project's evaluator (`rhetor eval`).
//! Never fit on dev.

use rhetor::model::cues::{CueModel, EMBEDDED_PATTERNS};
use rhetor::model::sigmoid;
use rhetor::text::normalize;
use rhetor::Device;
use std::path::Path;

/// One non-empty line of a PTC article.
struct Line {
    x: Vec<f32>,
    /// Any technique span overlaps the line.
    positive: bool,
    /// Per device (indexed like Device::ALL): a span of a mapped technique overlaps.
    devices: Vec<bool>,
}

fn load_split(dir: &Path, model: &CueModel) -> Result<Vec<Line>, String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    names.sort();
    let mut lines = Vec::new();
    for txt in names {
        let text = std::fs::read_to_string(&txt).map_err(|e| format!("{}: {e}", txt.display()))?;
        let stem = txt.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let labels_path = txt.with_file_name(format!("{stem}.task-flc-tc.labels"));
        let labels = std::fs::read_to_string(&labels_path).unwrap_or_default();
        let spans: Vec<(Option<Device>, usize, usize)> = labels
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                if f.len() < 4 {
                    return None;
                }
                Some((
                    Device::from_ptc_technique(f[1]),
                    f[2].trim().parse().ok()?,
                    f[3].trim().parse().ok()?,
                ))
            })
            .collect();
        let mut start = 0usize;
        for line in text.split('\n') {
            let len = line.chars().count();
            let end = start + len;
            if !line.trim().is_empty() {
                let overlapping: Vec<_> = spans
                    .iter()
                    .filter(|(_, s, e)| *s < end && *e > start)
                    .collect();
                let mut devices = vec![false; Device::ALL.len()];
                for (d, _, _) in &overlapping {
                    if let Some(d) = d {
                        devices[d.index()] = true;
                    }
                }
                lines.push(Line {
                    x: model.features(&normalize(line).text),
                    positive: !overlapping.is_empty(),
                    devices,
                });
            }
            start = end + 1;
        }
    }
    Ok(lines)
}

/// Model parameters being fitted.
#[derive(Clone)]
struct Params {
    weights: Vec<f32>,
    biases: Vec<f32>,
    gains: Vec<f32>,
    framing_bias: f32,
    thresholds: Vec<f32>,
    framing_threshold: f32,
}

fn logits(p: &Params, devices: &[Device], x: &[f32]) -> Vec<f32> {
    let mut l = p.biases.clone();
    for ((w, d), v) in p.weights.iter().zip(devices).zip(x) {
        l[d.index()] += w * v;
    }
    l
}

fn framing(p: &Params, devices: &[Device], x: &[f32]) -> f32 {
    let l = logits(p, devices, x);
    let e: f32 = l
        .iter()
        .zip(&p.biases)
        .zip(&p.gains)
        .map(|((l, b), g)| g * (l - b))
        .sum();
    sigmoid(p.framing_bias + e)
}

fn prf(pred: impl Iterator<Item = (bool, bool)>) -> (f32, f32, f32, usize, usize) {
    let (mut tp, mut fp, mut fn_, mut n, mut pos) = (0, 0, 0, 0, 0);
    for (p, g) in pred {
        n += 1;
        pos += g as usize;
        match (p, g) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            _ => {}
        }
    }
    let p = if tp + fp == 0 {
        0.0
    } else {
        tp as f32 / (tp + fp) as f32
    };
    let r = if tp + fn_ == 0 {
        0.0
    } else {
        tp as f32 / (tp + fn_) as f32
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f, n, pos)
}

/// The threshold in a grid that maximises F1 of `scores` against `gold`.
fn best_threshold(scores: &[f32], gold: &[bool]) -> (f32, f32) {
    let mut best = (0.5, -1.0);
    for i in 1..100 {
        let t = i as f32 / 100.0;
        let (_, _, f, _, _) = prf(scores.iter().zip(gold).map(|(s, g)| (*s >= t, *g)));
        if f > best.1 {
            best = (t, f);
        }
    }
    best
}

/// Fits bias and weights of one device's features by L2-regularised logistic
/// regression towards `prior` (projected gradient descent, weights >= 0).
fn fit_device(
    lines: &[Line],
    feats: &[usize],
    target: impl Fn(&Line) -> bool,
    bias: &mut f32,
    w: &mut [f32],
    prior: &[f32],
) {
    let n = lines.len() as f32;
    let lambda = 2.0 / n; // prior strength: like two pseudo-observations per weight
    let lr = 0.5;
    for _ in 0..3000 {
        let mut gb = 0.0;
        let mut gw = vec![0.0; feats.len()];
        for l in lines {
            let z = *bias
                + feats
                    .iter()
                    .zip(w.iter())
                    .map(|(f, w)| w * l.x[*f])
                    .sum::<f32>();
            let err = sigmoid(z) - target(l) as u8 as f32;
            gb += err;
            for (g, f) in gw.iter_mut().zip(feats) {
                *g += err * l.x[*f];
            }
        }
        *bias -= lr * gb / n;
        for ((wi, g), p) in w.iter_mut().zip(&gw).zip(prior) {
            *wi = (*wi - lr * (g / n + lambda * (*wi - p))).max(0.0);
        }
    }
}

fn fit(lines: &[Line], model: &CueModel, p: &mut Params) {
    let devices = model.feature_devices();
    let prior = model.feature_weights();
    for d in Device::ALL.into_iter().filter(|d| d.is_ptc()) {
        let feats: Vec<usize> = (0..devices.len()).filter(|&f| devices[f] == d).collect();
        let mut w: Vec<f32> = feats.iter().map(|&f| p.weights[f]).collect();
        let pr: Vec<f32> = feats.iter().map(|&f| prior[f]).collect();
        let mut b = p.biases[d.index()];
        fit_device(lines, &feats, |l| l.devices[d.index()], &mut b, &mut w, &pr);
        p.biases[d.index()] = b;
        for (f, wi) in feats.iter().zip(w) {
            p.weights[*f] = wi;
        }
        let scores: Vec<f32> = lines
            .iter()
            .map(|l| sigmoid(logits(p, &devices, &l.x)[d.index()]))
            .collect();
        let gold: Vec<bool> = lines.iter().map(|l| l.devices[d.index()]).collect();
        let (t, f) = best_threshold(&scores, &gold);
        // A device that never reaches F1 > 0 keeps a strict threshold.
        // The device's strongest single cue must be able to flag it on its own
        // (the codebook's definition), so the threshold never exceeds the
        // probability that cue gives alone.
        let strongest = feats.iter().map(|&f| p.weights[f]).fold(0.0f32, f32::max);
        let alone = (sigmoid(b + strongest) * 100.0).floor() / 100.0;
        let best = if f > 0.0 { t.max(0.1) } else { 0.5 };
        p.thresholds[d.index()] = best.min(alone);
        eprintln!(
            "{:<28} bias {:>6.2} thr {:.2} train F1 {:.3}",
            d.id(),
            b,
            p.thresholds[d.index()],
            f
        );
    }
    // Framing layer: evidence per device -> propaganda label.
    let evidence: Vec<Vec<f32>> = lines
        .iter()
        .map(|l| {
            let lg = logits(p, &devices, &l.x);
            lg.iter().zip(&p.biases).map(|(a, b)| a - b).collect()
        })
        .collect();
    let n = lines.len() as f32;
    let lr = 0.5;
    for _ in 0..3000 {
        let mut gb = 0.0;
        let mut gg = vec![0.0; Device::ALL.len()];
        for (l, e) in lines.iter().zip(&evidence) {
            let z = p.framing_bias + e.iter().zip(&p.gains).map(|(e, g)| e * g).sum::<f32>();
            let err = sigmoid(z) - l.positive as u8 as f32;
            gb += err;
            for (g, e) in gg.iter_mut().zip(e) {
                *g += err * e;
            }
        }
        p.framing_bias -= lr * gb / n;
        for d in Device::ALL.into_iter().filter(|d| d.is_ptc()) {
            let i = d.index();
            p.gains[i] = (p.gains[i] - lr * (gg[i] / n + (1.0 / n) * (p.gains[i] - 1.0))).max(0.0);
        }
    }
    let scores: Vec<f32> = lines.iter().map(|l| framing(p, &devices, &l.x)).collect();
    let gold: Vec<bool> = lines.iter().map(|l| l.positive).collect();
    let (t, f) = best_threshold(&scores, &gold);
    p.framing_threshold = t;
    eprintln!(
        "framing bias {:.2} threshold {t:.2} train F1 {f:.3}",
        p.framing_bias
    );
}

fn params_of(model: &CueModel, raw: &str) -> Params {
    let file: toml::Value = toml::from_str(raw).expect("pattern file parses");
    let framing_threshold = file
        .get("framing_threshold")
        .and_then(|v| v.as_float())
        .unwrap_or(0.5) as f32;
    let (framing_bias, gains) = model.framing_layer();
    let thresholds = Device::ALL
        .iter()
        .map(|d| {
            file.get("device")
                .and_then(|v| v.as_array())
                .and_then(|a| {
                    a.iter()
                        .find(|e| e.get("id").and_then(|i| i.as_str()) == Some(d.id()))
                })
                .and_then(|e| e.get("threshold"))
                .and_then(|t| t.as_float())
                .unwrap_or(0.5) as f32
        })
        .collect();
    Params {
        weights: model.feature_weights(),
        biases: model.biases().to_vec(),
        gains: gains.to_vec(),
        framing_bias,
        thresholds,
        framing_threshold,
    }
}

fn evaluate(lines: &[Line], model: &CueModel, p: &Params) {
    let devices = model.feature_devices();
    let (pr, r, f, n, pos) = prf(lines.iter().map(|l| {
        (
            framing(p, &devices, &l.x) >= p.framing_threshold,
            l.positive,
        )
    }));
    println!(
        "sentence-level (non-empty lines): n={n} positives={pos} threshold={:.2}",
        p.framing_threshold
    );
    println!("framing: P {pr:.3} R {r:.3} F1 {f:.3}");
    let (pr, r, f, _, _) = prf(lines.iter().map(|l| {
        let lg = logits(p, &devices, &l.x);
        let any = Device::ALL
            .iter()
            .any(|d| sigmoid(lg[d.index()]) >= p.thresholds[d.index()]);
        (any, l.positive)
    }));
    println!("any device flagged: P {pr:.3} R {r:.3} F1 {f:.3}");
    for d in Device::ALL.into_iter().filter(|d| d.is_ptc()) {
        let (pr, r, f, _, pos) = prf(lines.iter().map(|l| {
            let lg = logits(p, &devices, &l.x);
            (
                sigmoid(lg[d.index()]) >= p.thresholds[d.index()],
                l.devices[d.index()],
            )
        }));
        println!(
            "  {:<28} gold {pos:>4}  P {pr:.3} R {r:.3} F1 {f:.3}",
            d.id()
        );
    }
}

/// Writes `raw` with the fitted numbers replacing the old ones (line-based, comments kept).
fn rewrite(raw: &str, model: &CueModel, p: &Params) -> String {
    let names = model.feature_names();
    let mut out = String::new();
    let mut feature: Option<usize> = None;
    let mut device: Option<Device> = None;
    let value = |line: &str| {
        line.split('=')
            .nth(1)
            .map(|v| v.trim().trim_matches('"').to_string())
    };
    for line in raw.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        let replaced = match key {
            "framing_bias" => Some(format!("framing_bias = {:.3}", p.framing_bias)),
            "framing_threshold" => Some(format!("framing_threshold = {:.2}", p.framing_threshold)),
            "name" => {
                feature = value(line).and_then(|n| names.iter().position(|x| *x == n));
                None
            }
            "id" => {
                device = value(line).and_then(|id| Device::from_id(&id));
                feature = None;
                None
            }
            "weight" => feature.map(|f| format!("weight = {:.3}", p.weights[f])),
            "bias" => device.map(|d| format!("bias = {:.3}", p.biases[d.index()])),
            "threshold" => device.map(|d| {
                format!(
                    "threshold = {:.2}\ngain = {:.3}",
                    p.thresholds[d.index()],
                    p.gains[d.index()]
                )
            }),
            "gain" => Some(String::new()),
            _ => None,
        };
        match replaced {
            Some(r) if r.is_empty() => {}
            Some(r) => {
                out.push_str(&r);
                out.push('\n');
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
        if line.starts_with("[[pattern]]")
            || line.starts_with("[[lexicon]]")
            || line.starts_with("[[detector]]")
        {
            device = None;
        }
    }
    out
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: cues_ptc eval DIR [patterns.toml] | cues_ptc fit DIR OUT.toml [patterns.toml]";
    let (mode, dir) = match (args.first(), args.get(1)) {
        (Some(m), Some(d)) => (m.as_str(), Path::new(d)),
        _ => return Err(usage.into()),
    };
    let file_arg = if mode == "fit" {
        args.get(3)
    } else {
        args.get(2)
    };
    let raw = match file_arg {
        Some(f) => std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?,
        None => EMBEDDED_PATTERNS.to_string(),
    };
    let model = CueModel::parse(&raw, Path::new("patterns.toml")).map_err(|e| e.to_string())?;
    let start = std::time::Instant::now();
    let lines = load_split(dir, &model)?;
    eprintln!(
        "{} lines featurised in {:.2?}",
        lines.len(),
        start.elapsed()
    );
    let mut p = params_of(&model, &raw);
    match mode {
        "eval" => evaluate(&lines, &model, &p),
        "fit" => {
            let out = args.get(2).ok_or(usage)?;
            fit(&lines, &model, &mut p);
            evaluate(&lines, &model, &p);
            std::fs::write(out, rewrite(&raw, &model, &p)).map_err(|e| format!("{out}: {e}"))?;
            eprintln!("wrote {out}");
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}

//! The pieces of head training: loss weights and class-weighted binary
//! cross-entropy, AdamW, seeded initialisation and dropout, the head's
//! trainable variables and its probabilities.

use super::data::{Split, N_OUTPUTS};
use super::{LrSchedule, TrainOptions};
use crate::error::{Error, Result};
use crate::io::labels::AUTHOR_VOICE;
use crate::model::head::{Head, HeadConfig};
use candle_core::backprop::GradStore;
use candle_core::{DType, Device as CDevice, Tensor, Var, D};
use candle_nn::VarMap;
use rand::rngs::StdRng;
use rand::Rng;
use std::collections::HashMap;
use std::sync::MutexGuard;

/// Per-label positive weights (`neg/pos` among the labelled sentences,
/// capped) and the output weights (0 for untrained outputs,
/// `framing_weight` for `framing`, `voice_weight` for the author's voice), as tensors.
pub(super) fn loss_weights(
    split: &Split,
    trained: &[bool],
    opts: &TrainOptions,
) -> Result<(Tensor, Tensor)> {
    let mut pos_w = Vec::with_capacity(N_OUTPUTS);
    let mut out_w = Vec::with_capacity(N_OUTPUTS);
    for (o, &is_trained) in trained.iter().enumerate() {
        let (rows, gold) = split.labelled(o, 0..split.len());
        let n = rows.len() as f32;
        let pos = gold.iter().filter(|g| **g).count() as f32;
        pos_w.push(if pos > 0.0 {
            ((n - pos) / pos).clamp(1.0, opts.max_pos_weight)
        } else {
            1.0
        });
        out_w.push(if !is_trained {
            0.0
        } else if o == N_OUTPUTS - 1 {
            opts.framing_weight
        } else if o == AUTHOR_VOICE.index() {
            opts.voice_weight
        } else {
            1.0
        });
    }
    let tensor = |v: Vec<f32>| Tensor::new(v.as_slice(), &CDevice::Cpu).map_err(Error::from);
    Ok((tensor(pos_w)?, tensor(out_w)?))
}

/// Weighted, masked BCE with logits: mean over rows of
/// Σ_o known·w_o·(p_o·y·softplus(−z) + (1−y)·softplus(z)); unlabelled
/// targets (`known` = 0) add nothing.
pub(super) fn weighted_bce(
    logits: &Tensor,
    y: &Tensor,
    known: &Tensor,
    pos_w: &Tensor,
    out_w: &Tensor,
) -> candle_core::Result<Tensor> {
    // softplus(z) = relu(z) + log(1 + exp(−|z|))
    let softplus = |z: &Tensor| -> candle_core::Result<Tensor> {
        z.relu()? + ((z.abs()?.neg()?.exp()? + 1.0)?.log()?)
    };
    let sp_pos = softplus(&logits.neg()?)?;
    let sp_neg = softplus(logits)?;
    let pos_term = (y * sp_pos)?.broadcast_mul(pos_w)?;
    let neg_term = ((y.ones_like()? - y)? * sp_neg)?;
    let per = ((pos_term + neg_term)? * known)?.broadcast_mul(out_w)?;
    per.sum(D::Minus1)?.mean_all()
}

/// AdamW (decoupled weight decay) with its state in the open so that a
/// checkpoint can save and restore it: the same update as `candle_nn::AdamW`
/// (β₁ 0.9, β₂ 0.999, ε 1e-8, bias-corrected moments).
pub(super) struct Adam {
    /// Variables by name, each with its first and second moments.
    vars: Vec<(String, Var, Var, Var)>,
    /// Steps taken.
    step: usize,
    /// Base learning rate, times the schedule's factor at each step.
    lr: f64,
    weight_decay: f64,
    schedule: LrSchedule,
    /// Steps of the whole run (for the schedule).
    total_steps: usize,
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

impl Adam {
    /// The optimiser of every variable of `varmap` (in name order).
    pub(super) fn new(varmap: &VarMap, lr: f64, weight_decay: f64) -> Result<Adam> {
        let data = vars_of(varmap)?;
        let mut names: Vec<&String> = data.keys().collect();
        names.sort();
        let vars = names
            .into_iter()
            .map(|n| {
                let v = data[n].clone();
                let zeros = || Var::zeros(v.shape(), v.dtype(), v.device());
                Ok((n.clone(), v.clone(), zeros()?, zeros()?))
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Adam {
            vars,
            step: 0,
            lr,
            weight_decay,
            schedule: LrSchedule::Constant,
            total_steps: 0,
        })
    }

    /// The same optimiser with its rate following `schedule` over a run of
    /// `total_steps` steps.
    pub(super) fn with_schedule(mut self, schedule: LrSchedule, total_steps: usize) -> Adam {
        self.schedule = schedule;
        self.total_steps = total_steps;
        self
    }

    /// The learning rate of the next step.
    fn next_lr(&self) -> f64 {
        self.lr * self.schedule.factor(self.step + 1, self.total_steps)
    }

    /// One update from the gradients of a backward pass.
    pub(super) fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        let lr = self.next_lr();
        self.step += 1;
        let t = self.step as i32;
        let scale_m = 1.0 / (1.0 - BETA1.powi(t));
        let scale_v = 1.0 / (1.0 - BETA2.powi(t));
        for (_, theta, m, v) in &self.vars {
            let Some(g) = grads.get(theta) else {
                continue;
            };
            let next_m = ((m.as_tensor() * BETA1)? + (g * (1.0 - BETA1))?)?;
            let next_v = ((v.as_tensor() * BETA2)? + (g.sqr()? * (1.0 - BETA2))?)?;
            let m_hat = (&next_m * scale_m)?;
            let v_hat = (&next_v * scale_v)?;
            let decayed = (theta.as_tensor() * (1.0 - lr * self.weight_decay))?;
            let adjusted = (m_hat / (v_hat.sqrt()? + EPS)?)?;
            theta.set(&(decayed - (adjusted * lr)?)?)?;
            m.set(&next_m)?;
            v.set(&next_v)?;
        }
        Ok(())
    }

    /// Backward pass of `loss` and one update.
    pub(super) fn backward_step(&mut self, loss: &Tensor) -> candle_core::Result<()> {
        let grads = loss.backward()?;
        self.step(&grads)
    }

    /// The moments and the step count, for a checkpoint: tensors named
    /// `{prefix}m.{var}` / `{prefix}v.{var}`, and the steps.
    pub(super) fn state(&self, prefix: &str) -> (HashMap<String, Tensor>, usize) {
        let mut out = HashMap::new();
        for (name, _, m, v) in &self.vars {
            out.insert(format!("{prefix}m.{name}"), m.as_tensor().clone());
            out.insert(format!("{prefix}v.{name}"), v.as_tensor().clone());
        }
        (out, self.step)
    }

    /// Restores what [`Adam::state`] saved.
    pub(super) fn restore(
        &mut self,
        prefix: &str,
        tensors: &HashMap<String, Tensor>,
        step: usize,
    ) -> Result<()> {
        for (name, _, m, v) in &self.vars {
            for (kind, var) in [("m", m), ("v", v)] {
                let key = format!("{prefix}{kind}.{name}");
                let t = tensors
                    .get(&key)
                    .ok_or_else(|| Error::Config(format!("checkpoint lacks `{key}`")))?;
                var.set(t)?;
            }
        }
        self.step = step;
        Ok(())
    }
}

/// The variables of a var map, by name.
pub(super) fn vars_of(varmap: &VarMap) -> Result<MutexGuard<'_, HashMap<String, Var>>> {
    varmap
        .data()
        .lock()
        .map_err(|_| Error::Backend("poisoned lock".into()))
}

/// Seeded Xavier-uniform initialisation of a linear layer's variables
/// `{name}.weight` (`rows × cols`) and `{name}.bias` (zeros).
pub(super) fn init_linear(
    varmap: &VarMap,
    name: &str,
    rows: usize,
    cols: usize,
    rng: &mut StdRng,
) -> Result<()> {
    let bound = (6.0 / (rows + cols) as f32).sqrt();
    let w: Vec<f32> = (0..rows * cols)
        .map(|_| rng.gen_range(-bound..bound))
        .collect();
    let var = |t: candle_core::Result<Tensor>| t.and_then(|t| Var::from_tensor(&t));
    let weight = var(Tensor::from_vec(w, (rows, cols), &CDevice::Cpu))?;
    let bias = var(Tensor::zeros(rows, DType::F32, &CDevice::Cpu))?;
    let mut data = vars_of(varmap)?;
    data.insert(format!("{name}.weight"), weight);
    data.insert(format!("{name}.bias"), bias);
    Ok(())
}

/// The `{name}.weight` and `{name}.bias` variables of a var map.
pub(super) fn linear_vars(varmap: &VarMap, name: &str) -> Result<(Var, Var)> {
    let data = vars_of(varmap)?;
    let get = |n: String| {
        data.get(&n)
            .cloned()
            .ok_or_else(|| Error::Backend(format!("missing variable {n}")))
    };
    Ok((get(format!("{name}.weight"))?, get(format!("{name}.bias"))?))
}

/// Seeded Xavier-uniform initialisation of the head's variables.
pub(super) fn init_head(varmap: &VarMap, cfg: HeadConfig, rng: &mut StdRng) -> Result<()> {
    if cfg.hidden > 0 {
        init_linear(varmap, "head.hidden", cfg.hidden, cfg.input_dim, rng)?;
        init_linear(varmap, "head.out", cfg.outputs, cfg.hidden, rng)
    } else {
        init_linear(varmap, "head.out", cfg.outputs, cfg.input_dim, rng)
    }
}

/// Seeded dropout: zeroes a fraction `p` of the entries and rescales the rest.
pub(super) fn seeded_dropout(x: &Tensor, p: f32, rng: &mut StdRng) -> candle_core::Result<Tensor> {
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let n = x.elem_count();
    let keep: Vec<f32> = (0..n)
        .map(|_| {
            if rng.gen::<f32>() >= p {
                1.0 / (1.0 - p)
            } else {
                0.0
            }
        })
        .collect();
    let mask = Tensor::from_vec(keep, x.shape(), x.device())?;
    x * mask
}

/// Head forward with seeded dropout on its input and hidden layer.
pub(super) fn head_train_forward(
    head_vars: &HeadVars,
    x: &Tensor,
    p: f32,
    rng: &mut StdRng,
) -> candle_core::Result<Tensor> {
    let linear = |x: &Tensor, (w, b): &(Var, Var)| {
        x.matmul(&w.as_tensor().t()?)?.broadcast_add(b.as_tensor())
    };
    let x = seeded_dropout(x, p, rng)?;
    let x = match &head_vars.hidden {
        Some(hidden) => seeded_dropout(&linear(&x, hidden)?.relu()?, p, rng)?,
        None => x,
    };
    linear(&x, &head_vars.out)
}

/// The head's trainable variables.
pub(super) struct HeadVars {
    hidden: Option<(Var, Var)>,
    out: (Var, Var),
}

impl HeadVars {
    pub(super) fn from_varmap(varmap: &VarMap, cfg: HeadConfig) -> Result<HeadVars> {
        Ok(HeadVars {
            hidden: (cfg.hidden > 0)
                .then(|| linear_vars(varmap, "head.hidden"))
                .transpose()?,
            out: linear_vars(varmap, "head.out")?,
        })
    }
}

pub(super) fn head_probs(head: &Head, x: &Tensor) -> Result<Vec<Vec<f32>>> {
    Ok(candle_nn::ops::sigmoid(&head.forward(x)?)?.to_vec2()?)
}

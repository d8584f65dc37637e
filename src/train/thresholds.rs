//! The thresholds a trained model ships with, chosen on dev: per output
//! (best dev F1), the author voice at a realistic base rate, the coherent
//! `framing` decision; and the dev figures of the training report.

use super::calibrate::{fit_platt, logit};
use super::data::N_OUTPUTS;
use super::transformer::{Trainer, CI_RESAMPLES, CI_SEED};
use super::voice::{best_macro_f1_threshold, macro_f1};
use super::{TrainReport, VoiceReport};
use crate::io::labels::AUTHOR_VOICE;
use crate::model::coherent::tune_coherent;
use crate::model::cues::CueModel;
use crate::model::transformer::Platt;
use crate::model::{Scorer, Thresholds};
use crate::stats::bootstrap::bootstrap_intervals;
use crate::stats::metrics::{best_f1_threshold, Counts};
use crate::stats::Interval;
use crate::taxonomy::{Device, DeviceMap};

impl Trainer {
    /// Dev F1 and dev positives of every trained device at `thresholds`.
    pub(super) fn per_device_f1(
        &self,
        probs: &[Vec<f32>],
        thresholds: &Thresholds,
    ) -> Vec<(String, f64, usize)> {
        Device::ALL
            .iter()
            .filter(|d| self.trained[d.index()])
            .map(|d| {
                let (rows, gold) = self.dev.labelled(d.index(), 0..self.dev.len());
                let c: Counts = (rows.iter().zip(&gold))
                    .map(|(&i, &g)| (g, probs[i][d.index()] >= thresholds.device(*d)))
                    .collect();
                (
                    d.id().to_string(),
                    c.prf().f1,
                    gold.iter().filter(|g| **g).count(),
                )
            })
            .collect()
    }

    /// The gold devices among `devices` of each dev row in `rows`, in order.
    pub(super) fn gold_devices(&self, rows: &[usize], devices: &[Device]) -> Vec<Vec<Device>> {
        let position: std::collections::HashMap<usize, usize> =
            rows.iter().enumerate().map(|(k, &i)| (i, k)).collect();
        let mut named = vec![Vec::new(); rows.len()];
        for &d in devices {
            let (labelled, gold) = self.dev.labelled(d.index(), 0..self.dev.len());
            for (i, _) in labelled.iter().zip(&gold).filter(|(_, g)| **g) {
                if let Some(&k) = position.get(i) {
                    named[k].push(d);
                }
            }
        }
        named
    }

    /// The dev rows of the CheckThat-style sets (they label only the author's voice).
    pub(super) fn voice_dev_rows(&self) -> Vec<usize> {
        self.dev
            .sources
            .iter()
            .filter(|s| !s.labels_framing)
            .flat_map(|s| s.rows.clone())
            .collect()
    }

    /// The author-voice threshold (best macro-F1 at the realistic base rate
    /// on the CheckThat dev rows) and its dev report; `None` without such rows.
    pub(super) fn voice_threshold(&self, probs: &[Vec<f32>]) -> Option<VoiceReport> {
        let o = AUTHOR_VOICE.index();
        let rows = self.voice_dev_rows();
        let gold: Vec<bool> = rows.iter().map(|&i| self.dev.target(i, o)).collect();
        let p: Vec<f32> = rows.iter().map(|&i| probs[i][o]).collect();
        let base_rate = self.opts.voice_base_rate;
        let (threshold, at_base_rate) = best_macro_f1_threshold(&p, &gold, Some(base_rate))?;
        let best = best_macro_f1_threshold(&p, &gold, None).map_or(0.0, |(_, f)| f);
        let decisions: Vec<bool> = p.iter().map(|x| *x >= threshold).collect();
        let per_sentence: Vec<Vec<Counts>> = gold
            .iter()
            .zip(&decisions)
            .map(|(&g, &d)| {
                let mut c = Counts::default();
                c.add(g, d);
                vec![c]
            })
            .collect();
        let ci = bootstrap_intervals(&per_sentence, CI_RESAMPLES, CI_SEED, |c| {
            vec![c[0].macro_f1()]
        });
        Some(VoiceReport {
            threshold,
            base_rate,
            macro_f1: macro_f1(&decisions, &gold, None),
            macro_f1_ci95: ci.first().copied().unwrap_or(Interval {
                low: 0.0,
                high: 0.0,
            }),
            macro_f1_at_base_rate: at_base_rate,
            best_macro_f1: best,
            sentences: gold.len(),
            subjective: gold.iter().filter(|g| **g).count(),
        })
    }

    /// Thresholds per output (best dev F1; 0.5 for outputs without training
    /// or dev positives) and the report.
    pub(super) fn evaluate(
        &self,
        probs: &[Vec<f32>],
        best_epoch: usize,
    ) -> (Thresholds, Option<Platt>, TrainReport) {
        let mut thresholds = Thresholds::default();
        let voice = self.voice_threshold(probs);
        for (o, &is_trained) in self.trained.iter().enumerate() {
            let (rows, g) = self.dev.labelled(o, 0..self.dev.len());
            let p: Vec<f32> = rows.iter().map(|&i| probs[i][o]).collect();
            let (t, _) = best_f1_threshold(&p, &g)
                .filter(|_| is_trained)
                .unwrap_or((0.5, 0.0));
            if o < Device::ALL.len() {
                thresholds.devices[Device::ALL[o]] = t;
            } else {
                thresholds.framing = t;
            }
        }
        if let Some(v) = &voice {
            thresholds.devices[AUTHOR_VOICE] = v.threshold;
        }
        let o = N_OUTPUTS - 1;
        let (rows, gold) = self.dev.labelled(o, 0..self.dev.len());
        let raw: Vec<f32> = rows.iter().map(|&i| probs[i][o]).collect();
        let platt = fit_platt(&raw.iter().map(|&p| logit(p)).collect::<Vec<_>>(), &gold);
        let calibrated: Vec<f32> = match platt {
            Some(platt) => raw.iter().map(|&p| platt.probability(logit(p))).collect(),
            None => raw.clone(),
        };
        // Device probabilities as the scorer will see them: the head's for
        // trained devices, the cue model's for the others.
        let cues = CueModel::embedded();
        let device_probs: Vec<DeviceMap<f32>> = rows
            .iter()
            .map(|&i| {
                let cue = cues
                    .as_ref()
                    .ok()
                    .map(|c| c.score_one(&self.texts[self.dev.rows[i][0].unwrap_or(0)]));
                DeviceMap::from_fn(|d| match (&cue, self.trained[d.index()]) {
                    (Some(c), false) => c.prob(d),
                    _ => probs[i][d.index()],
                })
            })
            .collect();
        if let Ok(c) = &cues {
            for d in Device::ALL.iter().filter(|d| !self.trained[d.index()]) {
                thresholds.devices[*d] = c.thresholds().device(*d);
            }
        }
        // The dev set scoring `framing` is PTC's: only its techniques lift
        // `framing` there (as in `rhetor eval`), and only they are raised.
        let ptc_devices: Vec<Device> = Device::ALL.into_iter().filter(|d| d.is_ptc()).collect();
        let coherent = self.opts.coherent_framing;
        if coherent {
            let probs_of: Vec<&DeviceMap<f32>> = device_probs.iter().collect();
            let named = self.gold_devices(&rows, &ptc_devices);
            tune_coherent(
                &calibrated,
                &probs_of,
                &gold,
                Some(&named),
                &ptc_devices,
                &mut thresholds,
            );
        } else if let Some((t, _)) = best_f1_threshold(&calibrated, &gold) {
            thresholds.framing = t;
        }
        let flagged: Vec<bool> = device_probs
            .iter()
            .map(|p| coherent && ptc_devices.iter().any(|&d| thresholds.reached(d, p)))
            .collect();
        let per_device = self.per_device_f1(probs, &thresholds);
        let counts_at = |t: f32, coherent: bool| {
            let mut per_article = vec![vec![Counts::default()]; self.dev.articles];
            let mut total = Counts::default();
            for (k, (&i, &g)) in rows.iter().zip(&gold).enumerate() {
                let decision = if coherent {
                    calibrated[k] >= t || flagged[k]
                } else {
                    raw[k] >= t
                };
                per_article[self.dev.article_of[i]][0].add(g, decision);
                total.add(g, decision);
            }
            per_article.retain(|c| c[0] != Counts::default());
            (per_article, total)
        };
        let (per_article, total) = counts_at(thresholds.framing, true);
        let ci = bootstrap_intervals(&per_article, CI_RESAMPLES, CI_SEED, |c| vec![c[0].prf().f1]);
        let prf = total.prf();
        let report = TrainReport {
            dev_f1: prf.f1,
            dev_f1_ci95: ci.first().copied().unwrap_or(Interval {
                low: 0.0,
                high: 0.0,
            }),
            dev_precision: prf.precision,
            dev_recall: prf.recall,
            dev_f1_at_05: counts_at(0.5, false).1.prf().f1,
            per_device_f1: per_device,
            dev_voice: voice,
            best_epoch,
            dev_spans: None,
            seconds: self.started.elapsed().as_secs_f64(),
        };
        (thresholds, platt, report)
    }
}

//! Inter-annotator agreement between two labelling passes of the same
//! sentences (two rhetor gold CSVs): Cohen's κ per device and for "any device".

use crate::error::{Error, Location, Result};
use crate::io::labels::{read_label_csv, GoldOptions, GoldSet};
use crate::stats::metrics::cohen_kappa;
use crate::taxonomy::Device;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Agreement on one label.
#[derive(Debug, Clone, Serialize)]
pub struct LabelAgreement {
    /// Device id, or `any` for "at least one device".
    pub label: String,
    /// Sentences labelled positive in pass A.
    pub positives_a: usize,
    /// Sentences labelled positive in pass B.
    pub positives_b: usize,
    /// Sentences both passes label positive.
    pub both: usize,
    /// Observed agreement (share of sentences where the passes agree).
    pub observed: f64,
    /// Cohen's κ; `None` where undefined (both passes constant and equal).
    pub kappa: Option<f64>,
}

/// Agreement between two passes.
#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    /// Sentences compared.
    pub sentences: usize,
    /// `any` first, then one row per device.
    pub labels: Vec<LabelAgreement>,
}

impl Agreement {
    /// Mean κ over the devices where it is defined (the `any` row excluded).
    pub fn macro_kappa(&self) -> Option<f64> {
        let ks: Vec<f64> = self.labels.iter().skip(1).filter_map(|l| l.kappa).collect();
        (!ks.is_empty()).then(|| ks.iter().sum::<f64>() / ks.len() as f64)
    }
}

fn by_key(set: &GoldSet) -> BTreeMap<(String, usize), Vec<Device>> {
    set.articles
        .iter()
        .flat_map(|a| {
            a.sentences
                .iter()
                .map(move |s| ((a.id.clone(), s.index), s.devices.clone()))
        })
        .collect()
}

/// Reads two labelling passes (CSV with `article_id, sentence_index, devices`;
/// `text` optional) and computes κ. Both must label
/// exactly the same (article_id, sentence_index) pairs.
pub fn agreement(a_path: &Path, b_path: &Path) -> Result<Agreement> {
    let a = by_key(&read_label_csv(a_path, GoldOptions::default())?);
    let b = by_key(&read_label_csv(b_path, GoldOptions::default())?);
    for (this, other, path) in [(&a, &b, b_path), (&b, &a, a_path)] {
        if let Some(key) = this.keys().find(|k| !other.contains_key(*k)) {
            return Err(Error::input(
                Location::file(path.display().to_string()),
                format!(
                    "no label for sentence {} of article `{}`: both passes must label the same sentences",
                    key.1, key.0
                ),
            ));
        }
    }
    let pairs: Vec<(Vec<Device>, Vec<Device>)> =
        a.iter().map(|(k, da)| (da.clone(), b[k].clone())).collect();
    Ok(agreement_of(&pairs))
}

/// Agreement between two passes given in memory: the devices of each
/// sentence in pass A and in pass B (`rhetor serve` compares two coders).
pub fn agreement_of(pairs: &[(Vec<Device>, Vec<Device>)]) -> Agreement {
    let row = |label: &str, f: &dyn Fn(&Vec<Device>) -> bool| {
        let xa: Vec<bool> = pairs.iter().map(|(x, _)| f(x)).collect();
        let xb: Vec<bool> = pairs.iter().map(|(_, y)| f(y)).collect();
        LabelAgreement {
            label: label.to_string(),
            positives_a: xa.iter().filter(|v| **v).count(),
            positives_b: xb.iter().filter(|v| **v).count(),
            both: xa.iter().zip(&xb).filter(|(p, q)| **p && **q).count(),
            observed: xa.iter().zip(&xb).filter(|(p, q)| p == q).count() as f64
                / xa.len().max(1) as f64,
            kappa: cohen_kappa(&xa, &xb),
        }
    };
    let mut labels = vec![row("any", &|d: &Vec<Device>| !d.is_empty())];
    for d in Device::ALL {
        labels.push(row(d.id(), &|x: &Vec<Device>| x.contains(&d)));
    }
    Agreement {
        sentences: pairs.len(),
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_per_device_from_two_csv_passes() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let b = dir.path().join("b.csv");
        let head = "article_id,sentence_index,text,devices\n";
        std::fs::write(
            &a,
            format!("{head}x,0,One.,doubt\nx,1,Two.,\nx,2,Three.,doubt\nx,3,Four.,\n"),
        )
        .unwrap();
        // A labels-only pass (no text column).
        std::fs::write(
            &b,
            "article_id,sentence_index,devices\nx,0,doubt\nx,1,doubt\nx,2,doubt\nx,3,\n",
        )
        .unwrap();
        let r = agreement(&a, &b).unwrap();
        assert_eq!(r.sentences, 4);
        // po = 3/4, pa = 1/2, pb = 3/4, pe = 3/8 + 1/8 = 1/2 → κ = 0.5.
        let doubt = r.labels.iter().find(|l| l.label == "doubt").unwrap();
        assert!((doubt.kappa.unwrap() - 0.5).abs() < 1e-12);
        assert!((doubt.observed - 0.75).abs() < 1e-12);
        let aside = r
            .labels
            .iter()
            .find(|l| l.label == "editorial_aside")
            .unwrap();
        assert_eq!(aside.kappa, None);
        std::fs::write(&b, format!("{head}x,0,One.,doubt\n")).unwrap();
        let err = agreement(&a, &b).unwrap_err().to_string();
        assert!(err.contains("sentence 1"), "{err}");
    }
}

//! Inter-annotator agreement between two labelling passes of the same
//! sentences (two rhetor gold CSVs): Cohen's κ per device and for "any device".

use super::labels::{read_rhetor_csv, GoldOptions, GoldSet};
use super::metrics::cohen_kappa;
use crate::error::{Error, Location, Result};
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

/// Reads two labelling passes (rhetor CSV) and computes κ. Both must label
/// exactly the same (article_id, sentence_index) pairs.
pub fn agreement(a_path: &Path, b_path: &Path) -> Result<Agreement> {
    let a = by_key(&read_rhetor_csv(a_path, GoldOptions::default())?);
    let b = by_key(&read_rhetor_csv(b_path, GoldOptions::default())?);
    for (key, (this, other, path)) in [(&a, &b, b_path), (&b, &a, a_path)]
        .iter()
        .flat_map(|(x, y, p)| x.keys().map(move |k| (k, (x, y, p))))
    {
        let _ = this;
        if !other.contains_key(key) {
            return Err(Error::input(
                Location::file(path.display().to_string()),
                format!(
                    "no label for sentence {} of article `{}`: both passes must label the same sentences",
                    key.1, key.0
                ),
            ));
        }
    }
    let pairs: Vec<(&Vec<Device>, &Vec<Device>)> = a.iter().map(|(k, da)| (da, &b[k])).collect();
    let row = |label: &str, f: &dyn Fn(&Vec<Device>) -> bool| {
        let xa: Vec<bool> = pairs.iter().map(|(x, _)| f(x)).collect();
        let xb: Vec<bool> = pairs.iter().map(|(_, y)| f(y)).collect();
        LabelAgreement {
            label: label.to_string(),
            positives_a: xa.iter().filter(|v| **v).count(),
            positives_b: xb.iter().filter(|v| **v).count(),
            both: xa.iter().zip(&xb).filter(|(p, q)| **p && **q).count(),
            kappa: cohen_kappa(&xa, &xb),
        }
    };
    let mut labels = vec![row("any", &|d: &Vec<Device>| !d.is_empty())];
    for d in Device::ALL {
        labels.push(row(d.id(), &|x: &Vec<Device>| x.contains(&d)));
    }
    Ok(Agreement {
        sentences: pairs.len(),
        labels,
    })
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
        std::fs::write(
            &b,
            format!("{head}x,0,One.,doubt\nx,1,Two.,doubt\nx,2,Three.,doubt\nx,3,Four.,\n"),
        )
        .unwrap();
        let r = agreement(&a, &b).unwrap();
        assert_eq!(r.sentences, 4);
        // po = 3/4, pa = 1/2, pb = 3/4, pe = 3/8 + 1/8 = 1/2 → κ = 0.5.
        let doubt = r.labels.iter().find(|l| l.label == "doubt").unwrap();
        assert!((doubt.kappa.unwrap() - 0.5).abs() < 1e-12);
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

//! A coded validation sample ([`crate::io::sample`], the file `rhetor sample`
//! writes and `rhetor serve` fills in) as a labelled set: every sentence
//! whose label cells are all filled in, with the devices labelled `1`.
//!
//! Only the sample's label columns are labelled: [`GoldSet::devices`] lists
//! the device columns, and `framing` is the `framing` column when there is
//! one, else "at least one of the labelled devices"
//! ([`GoldFormat::Sample`]).

use super::{GoldArticle, GoldFormat, GoldOptions, GoldSentence, GoldSet, Problems};
use crate::error::{Error, Location, Result};
use crate::io::sample::{read_coded_sample, FIXED_COLUMNS};
use crate::taxonomy::Device;
use std::collections::BTreeMap;
use std::path::Path;

/// True for a label column of a sample: a device id or `framing`.
fn is_label(name: &str) -> bool {
    name == "framing" || Device::from_id(name).is_some()
}

/// True when `path` is a CSV file whose header has every fixed column of a
/// sample file (and no `devices` column, which rhetor's gold CSV has).
pub fn is_sample_file(path: &Path) -> bool {
    if !path.is_file() || path.extension().is_none_or(|e| e != "csv") {
        return false;
    }
    let Ok(mut reader) = ::csv::Reader::from_path(path) else {
        return false;
    };
    let Ok(headers) = reader.headers() else {
        return false;
    };
    let names: Vec<&str> = headers.iter().map(str::trim).collect();
    FIXED_COLUMNS.iter().all(|c| names.contains(c)) && !names.contains(&"devices")
}

/// Reads a coded sample as a labelled set. Rows without any label are left
/// out (not coded yet); a row with some label cells filled and others empty
/// is an error (or skipped with [`GoldOptions::skip_bad`]), since the set
/// could not say whether its empty devices are absent.
pub fn read_sample_labels(path: &Path, options: GoldOptions) -> Result<GoldSet> {
    let sample = read_coded_sample(path, &is_label)?;
    let source = path.display().to_string();
    if sample.label_columns.is_empty() {
        return Err(Error::input(
            Location::file(&source).at_line(1),
            "no label column: a coded sample has a column `framing` or a device id (docs/codebook.md) with 1, 0 or empty cells",
        ));
    }
    let framing = sample.label_index("framing");
    let devices: Vec<(usize, Device)> = sample
        .label_columns
        .iter()
        .enumerate()
        .filter_map(|(k, name)| Device::from_id(name).map(|d| (k, d)))
        .collect();
    let mut problems = Problems::new(options);
    let mut articles: BTreeMap<String, Vec<GoldSentence>> = BTreeMap::new();
    for row in sample.rows.iter().filter(|r| r.is_coded()) {
        if let Some(k) = row.labels.iter().position(Option::is_none) {
            problems.report(
                Location::file(&source)
                    .at_line(row.line)
                    .in_field(&sample.label_columns[k]),
                "not labelled while other labels of this sentence are: fill in 1 or 0",
            )?;
            continue;
        }
        let positive_devices: Vec<Device> = devices
            .iter()
            .filter(|(k, _)| row.labels[*k] == Some(true))
            .map(|(_, d)| *d)
            .collect();
        let positive = match framing {
            Some(k) => row.labels[k] == Some(true),
            None => !positive_devices.is_empty(),
        };
        articles
            .entry(row.article_id.clone())
            .or_default()
            .push(GoldSentence {
                index: row.sentence_index as usize,
                line: None,
                text: row.text.clone(),
                devices: positive_devices,
                positive,
                split: None,
                char_span: None,
            });
    }
    if articles.is_empty() && problems.skipped.is_empty() {
        return Err(Error::input(
            Location::file(&source),
            "no labelled sentences (no row of the sample is coded yet)",
        ));
    }
    Ok(GoldSet {
        source: path.to_path_buf(),
        format: GoldFormat::Sample {
            framing: framing.is_some(),
        },
        articles: articles
            .into_iter()
            .map(|(id, mut sentences)| {
                sentences.sort_by_key(|s| s.index);
                GoldArticle::new(id, sentences)
            })
            .collect(),
        devices: devices.into_iter().map(|(_, d)| d).collect(),
        skipped: problems.skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::super::read_gold;
    use super::*;

    const HEADER: &str =
        "article_id,sentence_index,stratum,outlet,inclusion_probability,context_before,text,context_after";

    #[test]
    fn a_coded_sample_is_a_labelled_set_of_its_coded_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.labels.ana.csv");
        std::fs::write(
            &p,
            format!(
                "{HEADER},doubt,loaded_language,framing\n\
                 b,1,B,B,0.5,,Second.,,1,0,1\n\
                 b,0,B,B,0.5,,First.,Second.,0,0,0\n\
                 a,0,A,A,1,,Other.,,,,\n"
            ),
        )
        .unwrap();
        let gold = read_gold(&p, GoldOptions::default()).unwrap();
        assert_eq!(gold.format, GoldFormat::Sample { framing: true });
        assert_eq!(gold.devices, [Device::Doubt, Device::LoadedLanguage]);
        assert_eq!(gold.articles.len(), 1, "the uncoded article is left out");
        let b = &gold.articles[0].sentences;
        assert_eq!((b[0].text.as_str(), b[0].positive), ("First.", false));
        assert_eq!(b[1].devices, [Device::Doubt]);
        assert!(b[1].positive);
        // Without a `framing` column, framing is "one of the labelled devices".
        std::fs::write(&p, format!("{HEADER},doubt\nb,0,B,B,0.5,,First.,,1\n")).unwrap();
        let gold = read_gold(&p, GoldOptions::default()).unwrap();
        assert_eq!(gold.format, GoldFormat::Sample { framing: false });
        assert!(gold.articles[0].sentences[0].positive);
        // A half-coded row is an error naming its line and column.
        std::fs::write(
            &p,
            format!("{HEADER},doubt,framing\nb,0,B,B,0.5,,First.,,1,\n"),
        )
        .unwrap();
        let err = read_gold(&p, GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2") && err.contains("framing"), "{err}");
        let skipped = read_gold(&p, GoldOptions { skip_bad: true }).unwrap();
        assert_eq!(skipped.skipped.len(), 1);
    }
}

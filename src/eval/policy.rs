//! The label-set policy: what a labelled set is scored on (the sentence-level
//! output, the devices, the devices that lift `framing`), by its format and
//! what it labels.

use crate::io::labels::{GoldFormat, GoldSet, AUTHOR_VOICE};
use crate::taxonomy::{Device, Label};

/// The output a gold set's sentence-level decision is scored on: `framing`
/// when the set labels techniques, the author-voice device
/// ([`AUTHOR_VOICE`]) when it labels only the author's voice (CheckThat!).
pub fn sentence_label(gold: &GoldSet) -> Label {
    if gold.labels_framing() {
        Label::Framing
    } else {
        Label::Device(AUTHOR_VOICE)
    }
}

/// The scored output in words, for reports.
pub fn scored_output_words(label: Label) -> String {
    match label {
        Label::Framing => "any device: framing".into(),
        Label::Device(d) => format!("author voice: {}", d.id()),
    }
}

/// True when a gold set labels techniques (PTC with technique names, rhetor
/// CSV), so that device averages are meaningful.
pub fn labels_techniques(gold: &GoldSet) -> bool {
    gold.labels_framing() && !gold.devices.is_empty()
}

/// The devices whose flags lift `framing` when `gold` scores it: PTC labels
/// propaganda techniques only (so rhetor's editorial devices do not count
/// there, whether or not the files name the techniques); a rhetor CSV labels
/// every device.
pub fn framing_devices(gold: &GoldSet) -> Vec<Device> {
    match gold.format {
        GoldFormat::Ptc => Device::ALL.into_iter().filter(|d| d.is_ptc()).collect(),
        GoldFormat::RhetorCsv | GoldFormat::CheckThat | GoldFormat::Sample { framing: true } => {
            Device::ALL.to_vec()
        }
        GoldFormat::Sample { framing: false } => gold.devices.clone(),
    }
}

/// The devices a gold set is scored on.
pub fn scored_devices(gold: &GoldSet) -> Vec<Device> {
    match gold.format {
        GoldFormat::Ptc | GoldFormat::CheckThat | GoldFormat::Sample { .. } => gold.devices.clone(),
        GoldFormat::RhetorCsv => Device::ALL.to_vec(),
    }
}

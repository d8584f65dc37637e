//! The codebook definitions shown on hover and beside the labels to code:
//! the `**Definition.**` paragraph of each device's section of
//! docs/codebook.md, embedded in the binary.

use crate::taxonomy::Device;

const CODEBOOK: &str = include_str!("../../docs/codebook.md");

/// The definition of `framing` (not a device section of the codebook).
pub const FRAMING_DEFINITION: &str =
    "The sentence carries at least one framing device (any of the devices of the codebook).";

/// The codebook definition of `device` (one paragraph, line breaks joined);
/// its label when the codebook has none.
pub fn definition(device: Device) -> String {
    let heading = format!("`{}` —", device.id());
    let mut lines = CODEBOOK.lines();
    if !lines.any(|l| l.starts_with("### ") && l.contains(&heading)) {
        return device.label().to_string();
    }
    let mut out = String::new();
    let mut inside = false;
    for line in lines {
        if line.starts_with("### ") || line.starts_with("## ") {
            break;
        }
        if let Some(rest) = line.strip_prefix("**Definition.**") {
            inside = true;
            out.push_str(rest.trim());
            continue;
        }
        if inside {
            if line.trim().is_empty() {
                break;
            }
            out.push(' ');
            out.push_str(line.trim());
        }
    }
    if out.is_empty() {
        device.label().to_string()
    } else {
        out.replace('*', "")
    }
}

/// The definition of a label column: a device id or `framing`.
pub fn label_definition(label: &str) -> String {
    match Device::from_id(label) {
        Some(d) => definition(d),
        None if label == "framing" => FRAMING_DEFINITION.to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_device_has_a_definition_from_the_codebook() {
        for d in Device::ALL {
            let def = definition(d);
            assert!(def.len() > 30, "{}: {def}", d.id());
            assert!(!def.contains('\n'));
        }
        assert!(definition(Device::EditorialAside).starts_with("A reader-directing meta-comment"));
    }
}

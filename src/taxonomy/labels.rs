//! Label sets: the codebook a model scores, chosen at run time.
//!
//! A model folder may declare its labels (name, one-line definition, level)
//! in its `config.json` (`label_set`, read by the model layer); a model that
//! declares none scores the shipped 18 devices, [`LabelSet::devices`]. The
//! set's order is the column order of every output. See
//! `docs/design/codebook.md`.

use super::Device;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The column names every per-sentence output has whatever the labels; a
/// label may not be named like one of them (its probability column would
/// clash). Kept equal to the fixed columns of `io::output::sentence_columns`
/// by a test there.
pub const RESERVED_LABEL_NAMES: [&str; 13] = [
    "article_id",
    "sentence_index",
    "paragraph",
    "start",
    "end",
    "byte_start",
    "byte_end",
    "attributed",
    "text",
    "framing",
    "flagged",
    "cues",
    "spans",
];

/// Whether a label is decided per sentence or also located as spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelLevel {
    /// A property of the whole sentence.
    Sentence,
    /// A property of a stretch of words (the model also finds its spans);
    /// its sentence score is "some span in the sentence has it".
    Span,
}

impl LabelLevel {
    /// The level's id as written in `config.json` (`sentence`, `span`).
    pub fn id(self) -> &'static str {
        match self {
            LabelLevel::Sentence => "sentence",
            LabelLevel::Span => "span",
        }
    }
}

/// One label of a codebook.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelDef {
    /// The label's id: its output column name and its name on the command
    /// line (lower-case ASCII letters, digits and `_`, starting with a letter).
    pub name: String,
    /// A one-line definition, for coders and for the reports.
    pub definition: String,
    /// Sentence- or span-level.
    pub level: LabelLevel,
}

/// Why a list of labels is not a valid label set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelSetError {
    /// No labels at all.
    #[error("the label set is empty; declare at least one label")]
    Empty,
    /// A label without a name.
    #[error("label {position} has an empty name")]
    EmptyName {
        /// 1-based position of the label in the set.
        position: usize,
    },
    /// A name with characters other than `[a-z0-9_]`, or not starting with a letter.
    #[error("label `{name}`: a name is lower-case ASCII letters, digits and `_`, starting with a letter (it becomes a column name)")]
    BadName {
        /// The offending name.
        name: String,
    },
    /// A name that an output column already has.
    #[error("label `{name}` is named like a fixed output column ({}); rename it", RESERVED_LABEL_NAMES.join(", "))]
    Reserved {
        /// The offending name.
        name: String,
    },
    /// The same name twice.
    #[error("label `{name}` is declared twice (labels {first} and {second})")]
    Duplicate {
        /// The repeated name.
        name: String,
        /// 1-based position of its first declaration.
        first: usize,
        /// 1-based position of its second declaration.
        second: usize,
    },
    /// A definition that is empty or runs over more than one line.
    #[error("label `{name}`: the definition must be one non-empty line")]
    BadDefinition {
        /// The label whose definition is wrong.
        name: String,
    },
    /// A label that is not one of the shipped devices where only those can be scored.
    #[error("label `{name}` is not one of the 18 shipped devices ({known})")]
    NotADevice {
        /// The label's name.
        name: String,
        /// The device ids, comma-separated.
        known: String,
    },
}

/// An ordered, validated set of labels: the columns a model scores, in
/// output order. Names are unique, non-empty `[a-z][a-z0-9_]*` ids that
/// clash with no fixed output column; definitions are one non-empty line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LabelSet {
    labels: Vec<LabelDef>,
}

impl LabelSet {
    /// Validates `labels` as a set (see [`LabelSetError`] for what is refused).
    pub fn new(labels: Vec<LabelDef>) -> Result<LabelSet, LabelSetError> {
        if labels.is_empty() {
            return Err(LabelSetError::Empty);
        }
        for (i, label) in labels.iter().enumerate() {
            let name = label.name.as_str();
            if name.trim().is_empty() {
                return Err(LabelSetError::EmptyName { position: i + 1 });
            }
            let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(LabelSetError::BadName { name: name.into() });
            }
            if RESERVED_LABEL_NAMES.contains(&name) {
                return Err(LabelSetError::Reserved { name: name.into() });
            }
            if let Some(first) = labels[..i].iter().position(|l| l.name == name) {
                return Err(LabelSetError::Duplicate {
                    name: name.into(),
                    first: first + 1,
                    second: i + 1,
                });
            }
            let definition = label.definition.trim();
            if definition.is_empty() || definition.contains(['\n', '\r']) {
                return Err(LabelSetError::BadDefinition { name: name.into() });
            }
        }
        Ok(LabelSet { labels })
    }

    /// The shipped codebook: the 18 devices in [`Device::ALL`] order, with
    /// their one-line definitions, all sentence-level.
    pub fn devices() -> LabelSet {
        LabelSet {
            labels: Device::ALL
                .iter()
                .map(|d| LabelDef {
                    name: d.id().to_string(),
                    definition: d.definition().to_string(),
                    level: LabelLevel::Sentence,
                })
                .collect(),
        }
    }

    /// [`LabelSet::devices`], built once: the label set of every model that
    /// declares none.
    pub fn shipped() -> &'static LabelSet {
        static SHIPPED: OnceLock<LabelSet> = OnceLock::new();
        SHIPPED.get_or_init(LabelSet::devices)
    }

    /// The labels, in output order.
    pub fn labels(&self) -> &[LabelDef] {
        &self.labels
    }

    /// The label names, in output order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.labels.iter().map(|l| l.name.as_str())
    }

    /// How many labels there are.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Always false: a label set has at least one label.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The label called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&LabelDef> {
        self.labels.iter().find(|l| l.name == name)
    }

    /// True when this is the shipped set ([`LabelSet::devices`]) exactly.
    pub fn is_shipped(&self) -> bool {
        self == LabelSet::shipped()
    }

    /// The device each label names, in output order, when every label's
    /// name is a device id; else the first label that is not one. (Models
    /// whose scores come per device, like the cue model, can only score
    /// such sets.)
    pub fn as_devices(&self) -> Result<Vec<Device>, LabelSetError> {
        self.labels
            .iter()
            .map(|l| {
                Device::from_id(&l.name).ok_or_else(|| LabelSetError::NotADevice {
                    name: l.name.clone(),
                    known: Device::ALL.map(Device::id).join(", "),
                })
            })
            .collect()
    }
}

/// One value per label of a [`LabelSet`], in the set's order: the run-time
/// twin of [`super::DeviceMap`], for scores and thresholds of models whose
/// labels are their own (step 2 of `docs/design/codebook.md`). It does not
/// hold its set; whoever pairs the two checks their lengths
/// ([`LabelMap::try_from_vec`]). Serialised as a plain array, like a
/// `DeviceMap`, so a map over [`LabelSet::devices`] writes the same JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LabelMap<T>(Vec<T>);

impl<T> LabelMap<T> {
    /// A map whose value for each label of `labels` is `f(label)`.
    pub fn from_fn(labels: &LabelSet, f: impl FnMut(&LabelDef) -> T) -> Self {
        LabelMap(labels.labels().iter().map(f).collect())
    }

    /// The map of `values` for `labels`: `Err(len)` when there is not
    /// exactly one value per label.
    pub fn try_from_vec(labels: &LabelSet, values: Vec<T>) -> Result<Self, usize> {
        if values.len() == labels.len() {
            Ok(LabelMap(values))
        } else {
            Err(values.len())
        }
    }

    /// The values, in label order.
    pub fn values(&self) -> &[T] {
        &self.0
    }

    /// `(label, value)` pairs of `labels` (the set the map was made for).
    pub fn iter<'a>(&'a self, labels: &'a LabelSet) -> impl Iterator<Item = (&'a LabelDef, &'a T)> {
        debug_assert_eq!(
            labels.len(),
            self.0.len(),
            "a label map paired with another set"
        );
        labels.labels().iter().zip(self.0.iter())
    }

    /// The value of the label called `name` in `labels`, if it has one.
    pub fn get(&self, labels: &LabelSet, name: &str) -> Option<&T> {
        let i = labels.labels().iter().position(|l| l.name == name)?;
        self.0.get(i)
    }
}

impl<T: Copy> LabelMap<T> {
    /// The values of `map` over the shipped set ([`LabelSet::shipped`]):
    /// one per device, in [`Device::ALL`] order, so position `i` is device
    /// `Device::ALL[i]`.
    pub fn from_device_order(map: &super::DeviceMap<T>) -> Self {
        LabelMap(map.values().to_vec())
    }

    /// The device map of a map over the shipped set (the inverse of
    /// [`LabelMap::from_device_order`]); `None` when the map has not one
    /// value per device.
    pub fn to_device_order(&self) -> Option<super::DeviceMap<T>> {
        super::DeviceMap::try_from_vec(self.0.clone()).ok()
    }
}

impl<T: Clone> LabelMap<T> {
    /// Every label of `labels` mapped to `value`.
    pub fn filled(labels: &LabelSet, value: T) -> Self {
        LabelMap(vec![value; labels.len()])
    }

    /// The values of `map` for the devices `labels` names (see
    /// [`LabelSet::as_devices`]).
    pub fn from_devices(
        labels: &LabelSet,
        map: &super::DeviceMap<T>,
    ) -> Result<Self, LabelSetError> {
        let devices = labels.as_devices()?;
        Ok(LabelMap(devices.iter().map(|d| map[*d].clone()).collect()))
    }
}

impl<T> std::ops::Index<usize> for LabelMap<T> {
    type Output = T;
    /// The value of the label at position `i` of its set.
    fn index(&self, i: usize) -> &T {
        &self.0[i]
    }
}

impl<T> std::ops::IndexMut<usize> for LabelMap<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.0[i]
    }
}

impl<'de> Deserialize<'de> for LabelSet {
    /// A JSON array of [`LabelDef`] objects, validated by [`LabelSet::new`].
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let labels = Vec::<LabelDef>::deserialize(deserializer)?;
        LabelSet::new(labels).map_err(serde::de::Error::custom)
    }
}

/// The one `&'static str` of a label name, for values that must be `Copy`
/// and name a label of a set read at run time (`compare`'s measures of a
/// codebook's own labels). Each distinct name is allocated once for the
/// life of the process, so the memory is bounded by the names seen.
pub fn intern_label_name(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<LabelSet, String> {
        serde_json::from_str::<LabelSet>(json).map_err(|e| e.to_string())
    }

    fn err(json: &str) -> String {
        parse(json).expect_err(json)
    }

    #[test]
    fn the_shipped_set_is_the_devices_in_order() {
        let set = LabelSet::devices();
        assert_eq!(set.len(), Device::COUNT);
        let names: Vec<&str> = set.names().collect();
        assert_eq!(names, Device::ALL.map(Device::id));
        assert_eq!(set.as_devices().unwrap(), Device::ALL.to_vec());
        assert!(set.labels().iter().all(|l| l.level == LabelLevel::Sentence));
        assert_eq!(
            set.get("doubt").unwrap().definition,
            Device::Doubt.definition()
        );
        assert!(set.is_shipped());
        // Every shipped definition passes the set's own checks.
        assert_eq!(LabelSet::new(set.labels().to_vec()).unwrap(), set);
    }

    #[test]
    fn a_declared_set_parses_in_order_and_round_trips() {
        let json = r#"[
            {"name": "blame", "definition": "Assigns blame to a named actor.", "level": "sentence"},
            {"name": "war_metaphor", "definition": "Talks of the issue as a war.", "level": "span"}
        ]"#;
        let set = parse(json).unwrap();
        let names: Vec<&str> = set.names().collect();
        assert_eq!(names, ["blame", "war_metaphor"]);
        assert_eq!(set.labels()[1].level, LabelLevel::Span);
        assert!(!set.is_shipped());
        let back = parse(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(back, set);
        let e = set.as_devices().unwrap_err().to_string();
        assert!(e.contains("label `blame` is not one of the 18"), "{e}");
    }

    #[test]
    fn label_maps_follow_their_set_and_serialize_like_device_maps() {
        let set = parse(
            r#"[{"name": "blame", "definition": "Blames.", "level": "sentence"},
                {"name": "doubt", "definition": "Doubts.", "level": "sentence"}]"#,
        )
        .unwrap();
        let mut m = LabelMap::filled(&set, 0.5f32);
        m[1] = 0.25;
        assert_eq!(m.get(&set, "doubt"), Some(&0.25));
        assert_eq!(m.get(&set, "nope"), None);
        let pairs: Vec<(&str, f32)> = m.iter(&set).map(|(l, v)| (l.name.as_str(), *v)).collect();
        assert_eq!(pairs, [("blame", 0.5), ("doubt", 0.25)]);
        assert_eq!(LabelMap::try_from_vec(&set, vec![1, 2, 3]), Err(3));
        let lengths = LabelMap::from_fn(&set, |l| l.name.len());
        assert_eq!(lengths.values(), [5, 5]);
        // Over the shipped set, the same JSON as the device map it copies.
        let mut devices = super::super::DeviceMap::filled(0.5f32);
        devices[Device::Doubt] = 0.125;
        let shipped = LabelMap::from_devices(LabelSet::shipped(), &devices).unwrap();
        assert_eq!(
            serde_json::to_string(&shipped).unwrap(),
            serde_json::to_string(&devices).unwrap()
        );
        assert!(LabelMap::from_devices(&set, &devices).is_err());
    }

    #[test]
    fn bad_sets_are_refused_with_errors_naming_the_label() {
        let label = |name: &str, definition: &str, level: &str| {
            format!(r#"{{"name": "{name}", "definition": "{definition}", "level": "{level}"}}"#)
        };
        let ok = label("blame", "Assigns blame.", "sentence");
        let cases = [
            ("[]".to_string(), "the label set is empty"),
            (
                format!("[{ok}, {}]", label("", "x.", "sentence")),
                "label 2 has an empty name",
            ),
            (
                format!("[{}]", label("Blame", "x.", "sentence")),
                "label `Blame`: a name is lower-case",
            ),
            (
                format!("[{}]", label("2x", "x.", "sentence")),
                "label `2x`: a name is lower-case",
            ),
            (
                format!("[{}]", label("text", "x.", "sentence")),
                "label `text` is named like a fixed output column",
            ),
            (
                format!("[{ok}, {}, {ok}]", label("other", "y.", "span")),
                "label `blame` is declared twice (labels 1 and 3)",
            ),
            (
                format!("[{}]", label("blame", " ", "sentence")),
                "label `blame`: the definition must be one non-empty line",
            ),
            (
                format!("[{}]", label("blame", "one\\ntwo", "sentence")),
                "label `blame`: the definition must be one non-empty line",
            ),
            (
                format!("[{}]", label("blame", "x.", "paragraph")),
                "unknown variant `paragraph`, expected `sentence` or `span`",
            ),
            (
                r#"[{"name": "blame", "definition": "x."}]"#.to_string(),
                "missing field `level`",
            ),
            (
                r#"[{"name": "blame", "definition": "x.", "level": "span", "colour": "red"}]"#
                    .to_string(),
                "unknown field `colour`",
            ),
        ];
        for (json, expected) in cases {
            let e = err(&json);
            assert!(
                e.contains(expected),
                "{json}\n  gave: {e}\n  want: {expected}"
            );
        }
    }
}

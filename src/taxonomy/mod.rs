//! The taxonomy of framing devices (see `docs/codebook.md`) and its mapping to
//! the techniques of the Propaganda Techniques Corpus (PTC), and the run-time
//! label sets ([`LabelSet`]) of which the 18 devices are the shipped one.

use serde::{Deserialize, Serialize};

mod labels;

pub use labels::{
    intern_label_name, LabelDef, LabelLevel, LabelMap, LabelSet, LabelSetError,
    RESERVED_LABEL_NAMES,
};

/// A framing device. The order of [`Device::ALL`] is the column order of every
/// output and of every model head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    /// Reader-directing meta-comment in the author's voice ("Let's notice", "Note that", "By the way").
    EditorialAside,
    /// Evaluation in the author's voice ("X is curious", "tellingly", "it is no secret that").
    EvaluativeEditorializing,
    /// Words with strong emotional connotation used to sway the reader.
    LoadedLanguage,
    /// Labelling a person or group with a term the audience fears, hates or loves.
    NameCalling,
    /// Quotation marks that distance the author from a term ("so-called 'moderate' rebels").
    ScareQuotes,
    /// Questioning the credibility of someone or something without evidence.
    Doubt,
    /// Building support through fear or prejudice against an alternative.
    AppealToFear,
    /// Representing something as much larger or much smaller than it is.
    Exaggeration,
    /// Appeal to patriotism or group identity.
    FlagWaving,
    /// Deflecting by charging the opponent with hypocrisy, a straw man, or an irrelevant topic.
    Whataboutism,
    /// One cause presented for a complex issue.
    CausalOversimplification,
    /// A claim presented as true because an authority said it.
    AppealToAuthority,
    /// Two alternatives presented as the only ones.
    BlackAndWhite,
    /// A brief, striking phrase meant to stick.
    Slogans,
    /// A phrase that discourages thought and ends discussion.
    ThoughtTerminatingCliche,
    /// The same message repeated to make it stick.
    Repetition,
    /// A question asked for effect, with its answer implied.
    RhetoricalQuestion,
    /// Appeal to what "everybody" does, or association with a hated group (reductio ad Hitlerum).
    Bandwagon,
}

impl Device {
    /// Every device, in output and model-head order.
    pub const ALL: [Device; 18] = [
        Device::EditorialAside,
        Device::EvaluativeEditorializing,
        Device::LoadedLanguage,
        Device::NameCalling,
        Device::ScareQuotes,
        Device::Doubt,
        Device::AppealToFear,
        Device::Exaggeration,
        Device::FlagWaving,
        Device::Whataboutism,
        Device::CausalOversimplification,
        Device::AppealToAuthority,
        Device::BlackAndWhite,
        Device::Slogans,
        Device::ThoughtTerminatingCliche,
        Device::Repetition,
        Device::RhetoricalQuestion,
        Device::Bandwagon,
    ];

    /// The stable snake_case id used in files and on the command line.
    pub fn id(self) -> &'static str {
        NAMES[self.index()].0
    }

    /// A human-readable name.
    pub fn label(self) -> &'static str {
        NAMES[self.index()].1
    }

    /// The device's one-line definition (its entry in `docs/codebook.md`, shortened).
    pub fn definition(self) -> &'static str {
        DEFINITIONS[self.index()]
    }

    /// Parses a device id (as printed by [`Device::id`]).
    pub fn from_id(id: &str) -> Option<Device> {
        let id = id.trim();
        Device::ALL.iter().copied().find(|d| d.id() == id)
    }

    /// How many devices there are.
    pub const COUNT: usize = Device::ALL.len();

    /// Position of the device in [`Device::ALL`] (the declaration order).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The PTC technique names (SemEval-2020 Task 11 spelling) that map to this device.
    pub fn ptc_techniques(self) -> &'static [&'static str] {
        PTC_MAPPING
            .iter()
            .find(|(d, _)| *d == self)
            .map(|(_, names)| *names)
            .unwrap_or(&[])
    }

    /// Maps a PTC technique name (SemEval-2020 or NLP4IF-2019 spelling) to a device.
    pub fn from_ptc_technique(name: &str) -> Option<Device> {
        let name = name.trim();
        PTC_MAPPING
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|(d, _)| *d)
    }

    /// True for the devices that the PTC annotates (the 14 SemEval-2020 classes).
    pub fn is_ptc(self) -> bool {
        !self.ptc_techniques().is_empty()
    }
}

/// The id and the human-readable name of each device, in [`Device::ALL`] order.
const NAMES: [(&str, &str); Device::COUNT] = [
    ("editorial_aside", "Editorial aside"),
    ("evaluative_editorializing", "Evaluative editorializing"),
    ("loaded_language", "Loaded language"),
    ("name_calling", "Name calling / labeling"),
    ("scare_quotes", "Scare quotes"),
    ("doubt", "Doubt"),
    ("appeal_to_fear", "Appeal to fear / prejudice"),
    ("exaggeration", "Exaggeration / minimisation"),
    ("flag_waving", "Flag-waving"),
    ("whataboutism", "Whataboutism / straw man / red herring"),
    ("causal_oversimplification", "Causal oversimplification"),
    ("appeal_to_authority", "Appeal to authority"),
    ("black_and_white", "Black-and-white fallacy"),
    ("slogans", "Slogans"),
    ("thought_terminating_cliche", "Thought-terminating cliché"),
    ("repetition", "Repetition"),
    ("rhetorical_question", "Rhetorical question"),
    ("bandwagon", "Bandwagon / reductio ad Hitlerum"),
];

/// The one-line definition of each device (the doc comments of [`Device`]),
/// in [`Device::ALL`] order.
const DEFINITIONS: [&str; Device::COUNT] = [
    "Reader-directing meta-comment in the author's voice (\"Let's notice\", \"Note that\", \"By the way\").",
    "Evaluation in the author's voice (\"X is curious\", \"tellingly\", \"it is no secret that\").",
    "Words with strong emotional connotation used to sway the reader.",
    "Labelling a person or group with a term the audience fears, hates or loves.",
    "Quotation marks that distance the author from a term (\"so-called 'moderate' rebels\").",
    "Questioning the credibility of someone or something without evidence.",
    "Building support through fear or prejudice against an alternative.",
    "Representing something as much larger or much smaller than it is.",
    "Appeal to patriotism or group identity.",
    "Deflecting by charging the opponent with hypocrisy, a straw man, or an irrelevant topic.",
    "One cause presented for a complex issue.",
    "A claim presented as true because an authority said it.",
    "Two alternatives presented as the only ones.",
    "A brief, striking phrase meant to stick.",
    "A phrase that discourages thought and ends discussion.",
    "The same message repeated to make it stick.",
    "A question asked for effect, with its answer implied.",
    "Appeal to what \"everybody\" does, or association with a hated group (reductio ad Hitlerum).",
];

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Device {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Device::from_id(s).ok_or_else(|| {
            let ids: Vec<&str> = Device::ALL.iter().map(|d| d.id()).collect();
            format!("unknown device `{s}`; known devices: {}", ids.join(", "))
        })
    }
}

/// One value per device: a fixed array indexed by [`Device`], in the order of
/// [`Device::ALL`]. Serialized as a plain array of [`Device::COUNT`] values;
/// reading an array of another length is an error, not a silent gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceMap<T>([T; Device::COUNT]);

impl<T> DeviceMap<T> {
    /// A map whose value for `d` is `f(d)`.
    pub fn from_fn(mut f: impl FnMut(Device) -> T) -> Self {
        DeviceMap(std::array::from_fn(|i| f(Device::ALL[i])))
    }

    /// The values, in [`Device::ALL`] order.
    pub fn values(&self) -> &[T] {
        &self.0
    }

    /// `(device, value)` pairs in [`Device::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Device, &T)> {
        Device::ALL.into_iter().zip(self.0.iter())
    }

    /// A map of `f` applied to every value.
    pub fn map<U>(&self, mut f: impl FnMut(Device, &T) -> U) -> DeviceMap<U> {
        DeviceMap::from_fn(|d| f(d, &self[d]))
    }

    /// The map of a vector of exactly [`Device::COUNT`] values; `Err(len)` otherwise.
    pub fn try_from_vec(values: Vec<T>) -> Result<Self, usize> {
        let len = values.len();
        <[T; Device::COUNT]>::try_from(values)
            .map(DeviceMap)
            .map_err(|_| len)
    }
}

impl<T: Clone> DeviceMap<T> {
    /// Every device mapped to `value`.
    pub fn filled(value: T) -> Self {
        DeviceMap::from_fn(|_| value.clone())
    }
}

impl<T: Default> Default for DeviceMap<T> {
    fn default() -> Self {
        DeviceMap::from_fn(|_| T::default())
    }
}

impl<T> std::ops::Index<Device> for DeviceMap<T> {
    type Output = T;
    fn index(&self, device: Device) -> &T {
        &self.0[device.index()]
    }
}

impl<T> std::ops::IndexMut<Device> for DeviceMap<T> {
    fn index_mut(&mut self, device: Device) -> &mut T {
        &mut self.0[device.index()]
    }
}

impl<T: Serialize> Serialize for DeviceMap<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for DeviceMap<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = Vec::<T>::deserialize(deserializer)?;
        DeviceMap::try_from_vec(values).map_err(|len| {
            serde::de::Error::custom(format!(
                "expected one value per device ({}), got {len}",
                Device::COUNT
            ))
        })
    }
}

/// An output of a classifier: a device, or the combined `framing` score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// One framing device.
    Device(Device),
    /// "The sentence carries at least one device."
    Framing,
}

impl Label {
    /// The label's id: the device id, or `framing`.
    pub fn id(self) -> &'static str {
        match self {
            Label::Device(d) => d.id(),
            Label::Framing => "framing",
        }
    }

    /// Parses an id printed by [`Label::id`].
    pub fn from_id(id: &str) -> Option<Label> {
        match id.trim() {
            "framing" => Some(Label::Framing),
            other => Device::from_id(other).map(Label::Device),
        }
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        Label::from_id(&id).ok_or_else(|| serde::de::Error::custom(format!("unknown label `{id}`")))
    }
}

/// The PTC technique names, in both the SemEval-2020 (14 classes) and the
/// NLP4IF-2019 (18 classes) spellings, for each device that has one.
const PTC_MAPPING: &[(Device, &[&str])] = &[
    (Device::LoadedLanguage, &["Loaded_Language"]),
    (Device::NameCalling, &["Name_Calling,Labeling"]),
    (Device::Repetition, &["Repetition"]),
    (Device::Doubt, &["Doubt"]),
    (Device::Exaggeration, &["Exaggeration,Minimisation"]),
    (Device::AppealToFear, &["Appeal_to_fear-prejudice"]),
    (Device::FlagWaving, &["Flag-Waving"]),
    (
        Device::CausalOversimplification,
        &["Causal_Oversimplification"],
    ),
    (Device::AppealToAuthority, &["Appeal_to_Authority"]),
    (Device::Slogans, &["Slogans"]),
    (
        Device::Whataboutism,
        &[
            "Whataboutism,Straw_Men,Red_Herring",
            "Whataboutism",
            "Straw_Men",
            "Red_Herring",
        ],
    ),
    (Device::BlackAndWhite, &["Black-and-White_Fallacy"]),
    (
        Device::ThoughtTerminatingCliche,
        &["Thought-terminating_Cliches"],
    ),
    (
        Device::Bandwagon,
        &[
            "Bandwagon,Reductio_ad_hitlerum",
            "Bandwagon",
            "Reductio_ad_hitlerum",
        ],
    ),
];

/// Parses a comma- or semicolon-separated list of device ids.
pub fn parse_device_list(list: &str) -> Result<Vec<Device>, String> {
    list.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for d in Device::ALL {
            assert_eq!(Device::from_id(d.id()), Some(d));
            assert_eq!(Device::ALL[d.index()], d);
        }
    }

    #[test]
    fn the_fourteen_ptc_techniques_map() {
        let names = [
            "Loaded_Language",
            "Name_Calling,Labeling",
            "Repetition",
            "Doubt",
            "Exaggeration,Minimisation",
            "Appeal_to_fear-prejudice",
            "Flag-Waving",
            "Causal_Oversimplification",
            "Appeal_to_Authority",
            "Slogans",
            "Whataboutism,Straw_Men,Red_Herring",
            "Black-and-White_Fallacy",
            "Thought-terminating_Cliches",
            "Bandwagon,Reductio_ad_hitlerum",
        ];
        let mapped: std::collections::BTreeSet<Device> = names
            .iter()
            .map(|n| Device::from_ptc_technique(n).unwrap())
            .collect();
        assert_eq!(mapped.len(), 14);
        assert_eq!(Device::ALL.iter().filter(|d| d.is_ptc()).count(), 14);
    }

    #[test]
    fn device_maps_index_by_device_and_serialize_as_arrays() {
        let mut m = DeviceMap::filled(0.5f32);
        m[Device::Doubt] = 0.25;
        assert_eq!(m.values()[Device::Doubt.index()], 0.25);
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.starts_with("[0.5,"), "{json}");
        let back: DeviceMap<f32> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let err = serde_json::from_str::<DeviceMap<f32>>("[0.5, 0.5]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("got 2"), "{err}");
        assert_eq!(m.iter().filter(|(_, v)| **v < 0.5).count(), 1);
    }

    #[test]
    fn labels_round_trip_through_their_ids() {
        let all = Device::ALL
            .iter()
            .map(|d| Label::Device(*d))
            .chain([Label::Framing]);
        for l in all {
            assert_eq!(Label::from_id(l.id()), Some(l));
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(serde_json::from_str::<Label>(&json).unwrap(), l);
        }
        assert!(serde_json::from_str::<Label>("\"nope\"").is_err());
    }

    #[test]
    fn device_lists_parse_and_reject_unknown_ids() {
        assert_eq!(
            parse_device_list("doubt, scare_quotes").unwrap(),
            vec![Device::Doubt, Device::ScareQuotes]
        );
        assert!(parse_device_list("doubt,nonsense")
            .unwrap_err()
            .contains("nonsense"));
    }
}

//! A generator of small `rhetor batch` outputs (articles.csv and
//! sentences.csv, consistent with each other) for the compare, report and
//! browser tests. Deterministic: the same spec gives the same files.

#![allow(dead_code)]

use rhetor::Device;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One kind of generated sentence: its text, the devices it is flagged with
/// and the cue (substring, device) that explains it.
struct Template {
    text: &'static str,
    devices: &'static [Device],
    cue: Option<(&'static str, Device)>,
}

const NEUTRAL: &[&str] = &[
    "The council met on Tuesday to discuss the budget.",
    "Café owners said the new opening hours were fine.",
    "The report was published in the morning.",
    "Officials counted 1,200 visitors at the fair.",
    "The road will reopen next week after repairs.",
];

const FRAMED: &[Template] = &[
    Template {
        text: "Let's notice that the minister said nothing about it.",
        devices: &[Device::EditorialAside],
        cue: Some(("Let's notice", Device::EditorialAside)),
    },
    Template {
        text: "The so-called experts allegedly agreed on the plan.",
        devices: &[Device::Doubt, Device::ScareQuotes],
        cue: Some(("allegedly", Device::Doubt)),
    },
    Template {
        text: "The reckless plan was a disaster for the town.",
        devices: &[Device::LoadedLanguage],
        cue: Some(("disaster", Device::LoadedLanguage)),
    },
    Template {
        text: "Who could possibly believe such a promise?",
        devices: &[Device::RhetoricalQuestion],
        cue: Some(("Who could possibly", Device::RhetoricalQuestion)),
    },
    Template {
        text: "Tellingly, the mayor <script>alert(1)</script> stayed silent.",
        devices: &[Device::EvaluativeEditorializing],
        cue: Some(("Tellingly", Device::EvaluativeEditorializing)),
    },
];

/// An outlet: name, number of articles, and how often a sentence is framed
/// (per 1000).
pub struct Outlet {
    pub name: &'static str,
    pub articles: usize,
    pub framed_per_mille: u64,
}

/// The default fixture: three outlets of different framing levels, one tiny
/// outlet (too small to test), dates over four months and two undated articles.
pub fn default_outlets() -> Vec<Outlet> {
    vec![
        Outlet {
            name: "Daily Planet",
            articles: 12,
            framed_per_mille: 450,
        },
        Outlet {
            name: "The Sentinel",
            articles: 12,
            framed_per_mille: 120,
        },
        Outlet {
            name: "Morning <Star>",
            articles: 10,
            framed_per_mille: 250,
        },
        Outlet {
            name: "Tiny Times",
            articles: 2,
            framed_per_mille: 300,
        },
    ]
}

/// A small deterministic generator (LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn row(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// The files written by [`write_batch`].
pub struct Batch {
    pub dir: PathBuf,
    pub articles: PathBuf,
    pub sentences: PathBuf,
    /// Number of articles per outlet, in the order of the spec.
    pub outlets: Vec<(String, usize)>,
    pub total_articles: usize,
}

/// Writes `articles.csv` and `sentences.csv` into `dir`.
pub fn write_batch(dir: &Path, outlets: &[Outlet], seed: u64) -> Batch {
    let mut rng = Lcg(seed);
    let devices: Vec<&str> = Device::ALL.iter().map(|d| d.id()).collect();
    let meta = ["outlet", "date", "title", "section"];
    let mut a_header: Vec<String> = std::iter::once("article_id")
        .chain(meta)
        .map(String::from)
        .collect();
    a_header.extend(
        [
            "sentences",
            "framing_sentences",
            "framing_rate",
            "framing_mean",
            "framing_max",
        ]
        .map(String::from),
    );
    a_header.extend(devices.iter().map(|d| format!("{d}_count")));
    let mut s_header: Vec<String> = std::iter::once("article_id")
        .chain(meta)
        .map(String::from)
        .collect();
    s_header.extend(
        [
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
        ]
        .map(String::from),
    );
    s_header.extend(devices.iter().map(|d| d.to_string()));
    s_header.push("cues".into());
    let mut articles_csv = row(&a_header);
    let mut sentences_csv = row(&s_header);
    let mut total = 0;
    for (o, outlet) in outlets.iter().enumerate() {
        for i in 0..outlet.articles {
            total += 1;
            let id = format!("{}-{i:02}", o + 1);
            let date = if o == 0 && i >= outlet.articles - 2 {
                // Two undated articles: they must end up in `unknown`.
                if i % 2 == 0 {
                    "n/a".to_string()
                } else {
                    String::new()
                }
            } else {
                format!("2024-{:02}-{:02}T09:30:00Z", 1 + (i % 4), 1 + rng.below(28))
            };
            let title = format!("Story {i} from {}", outlet.name);
            let section = ["politics", "city"][i % 2].to_string();
            let n_sentences = 8 + rng.below(8) as usize;
            let mut counts = vec![0u64; devices.len()];
            let (mut framing_n, mut framing_sum, mut framing_max) = (0u64, 0f64, 0f64);
            let (mut char_at, mut byte_at) = (0usize, 0usize);
            for s in 0..n_sentences {
                let framed = rng.below(1000) < outlet.framed_per_mille;
                let (text, template) = if framed {
                    let t = &FRAMED[rng.below(FRAMED.len() as u64) as usize];
                    (t.text, Some(t))
                } else {
                    (NEUTRAL[rng.below(NEUTRAL.len() as u64) as usize], None)
                };
                let framing: f64 = if framed {
                    0.6 + rng.below(40) as f64 / 100.0
                } else {
                    rng.below(30) as f64 / 100.0
                };
                framing_sum += framing;
                framing_max = framing_max.max(framing);
                framing_n += u64::from(framing >= 0.5);
                let mut probs = vec![0.05f64; devices.len()];
                let mut flagged = Vec::new();
                if let Some(t) = template {
                    for d in t.devices {
                        probs[d.index()] = framing;
                        counts[d.index()] += 1;
                        flagged.push(d.id());
                    }
                }
                let chars = text.chars().count();
                let cues = match template.and_then(|t| t.cue) {
                    Some((cue, device)) => {
                        let byte = text.find(cue).expect("cue in template");
                        let c0 = char_at + text[..byte].chars().count();
                        format!(
                            "[{{\"device\":\"{}\",\"start\":{},\"end\":{},\"text\":\"{}\",\"pattern\":\"fixture\",\"weight\":1.5,\"attributed\":false}}]",
                            device.id(), c0, c0 + cue.chars().count(), cue
                        )
                    }
                    None => "[]".to_string(),
                };
                let mut fields = vec![
                    id.clone(),
                    outlet.name.to_string(),
                    date.clone(),
                    title.clone(),
                    section.clone(),
                ];
                fields.extend([
                    s.to_string(),
                    (s / 4).to_string(),
                    char_at.to_string(),
                    (char_at + chars).to_string(),
                    byte_at.to_string(),
                    (byte_at + text.len()).to_string(),
                    "false".to_string(),
                    text.to_string(),
                    format!("{framing:.4}"),
                    flagged.join(";"),
                ]);
                fields.extend(probs.iter().map(|p| format!("{p:.4}")));
                fields.push(cues);
                sentences_csv.push_str(&row(&fields));
                char_at += chars + 1;
                byte_at += text.len() + 1;
            }
            let mut fields = vec![id, outlet.name.to_string(), date, title, section];
            let mut line = String::new();
            let _ = write!(
                line,
                "{}",
                [
                    n_sentences.to_string(),
                    framing_n.to_string(),
                    format!("{:.4}", framing_n as f64 / n_sentences as f64),
                    format!("{:.4}", framing_sum / n_sentences as f64),
                    format!("{framing_max:.4}"),
                ]
                .join(",")
            );
            fields.extend(line.split(',').map(String::from));
            fields.extend(counts.iter().map(|c| c.to_string()));
            articles_csv.push_str(&row(&fields));
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    let articles = dir.join("articles.csv");
    let sentences = dir.join("sentences.csv");
    std::fs::write(&articles, articles_csv).unwrap();
    std::fs::write(&sentences, sentences_csv).unwrap();
    Batch {
        dir: dir.to_path_buf(),
        articles,
        sentences,
        outlets: outlets
            .iter()
            .map(|o| (o.name.to_string(), o.articles))
            .collect(),
        total_articles: total,
    }
}

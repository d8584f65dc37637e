//! Label readers: the PTC folder layout (article text + span labels + SLC
//! labels) and rhetor's gold CSV. The input is cut at 0x1E bytes into: the
//! article text, a `task-flc-tc.labels` file, a `task-SLC.labels` file and a
//! `gold.csv`. No panic, strict and `skip_bad` modes; with `skip_bad` a
//! readable folder never fails on a bad line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhetor::io::labels::{read_ptc_dir, read_rhetor_csv, GoldOptions};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0x1E);
    let text = parts.next().unwrap_or_default();
    let spans = parts.next();
    let slc = parts.next();
    let csv = parts.next();

    let root = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let Ok(dir) = tempfile::Builder::new()
        .prefix("rhetor-fuzz")
        .tempdir_in(root)
    else {
        return;
    };
    let d = dir.path();
    let ok = std::fs::write(d.join("article7.txt"), text).is_ok()
        && spans.is_none_or(|s| std::fs::write(d.join("article7.task-flc-tc.labels"), s).is_ok())
        && slc.is_none_or(|s| std::fs::write(d.join("article7.task-SLC.labels"), s).is_ok());
    if !ok {
        return;
    }
    for skip_bad in [false, true] {
        let set = read_ptc_dir(d, GoldOptions { skip_bad });
        if let Ok(set) = set {
            for a in &set.articles {
                for (i, s) in a.sentences.iter().enumerate() {
                    assert_eq!(s.index, i);
                }
            }
        }
    }
    if let Some(csv) = csv {
        let path = d.join("gold.csv");
        if std::fs::write(&path, csv).is_ok() {
            for skip_bad in [false, true] {
                let _ = read_rhetor_csv(&path, GoldOptions { skip_bad });
            }
        }
    }
});

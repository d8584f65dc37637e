//! Corpus readers (CSV and JSONL, plain and gzip — gzip via the seed corpus — through a file as `rhetor
//! batch` reads them): no panic, and record numbers are consecutive — every
//! record is either an article or an error record, nothing is dropped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhetor::io::corpus::{
    ColumnSpec, CorpusFormat, CorpusItem, CorpusOptions, CorpusReader, CsvRecords,
};

fn check(path: &str, format: Option<CorpusFormat>) {
    let options = CorpusOptions {
        format,
        max_article_bytes: 64,
    };
    let Ok(mut reader) = CorpusReader::open(path, &ColumnSpec::default(), options) else {
        return;
    };
    let mut expected = 1;
    while let Ok(Some(item)) = reader.next_item() {
        assert_eq!(item.record(), expected, "record numbers skip");
        if let CorpusItem::Article(a) = &item {
            assert!(a.text.len() <= 64, "over-long article accepted");
        }
        expected += 1;
        if expected > 100_000 {
            break;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The raw splitter, in memory, with a small record cap.
    let mut records = CsvRecords::new(data, 32);
    let mut last_line = 0;
    while let Ok(Some(r)) = records.next_record() {
        assert!(r.line > last_line, "record lines do not increase");
        last_line = r.line;
    }

    let Ok(dir) = tempfile::Builder::new()
        .prefix("rhetor-fuzz")
        .tempdir_in(tmp_root())
    else {
        return;
    };
    let plain = dir.path().join("in.data");
    if std::fs::write(&plain, data).is_err() {
        return;
    }
    let plain = plain.to_string_lossy().into_owned();
    check(&plain, None);
    check(&plain, Some(CorpusFormat::Csv));
    check(&plain, Some(CorpusFormat::Jsonl));
});

fn tmp_root() -> std::path::PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

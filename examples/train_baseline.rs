//! Trains the TF-IDF baseline: `cargo run --example train_baseline -- TRAIN_DIR [DEV_DIR] OUT_DIR`
//! (e.g. `../shared/ptc/train ../shared/ptc/dev models/baseline`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (train, dev, out) = match args.as_slice() {
        [t, o] => (t, None, o),
        [t, d, o] => (t, Some(d), o),
        _ => {
            eprintln!("usage: train_baseline TRAIN_DIR [DEV_DIR] OUT_DIR");
            std::process::exit(2);
        }
    };
    let started = std::time::Instant::now();
    match rhetor::train::baseline::train_baseline(
        std::path::Path::new(train),
        dev.map(std::path::Path::new),
        std::path::Path::new(out),
    ) {
        Ok(report) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            println!("trained in {:.1} s", started.elapsed().as_secs_f64());
        }
        Err(e) => {
            eprintln!("train_baseline: {e}");
            std::process::exit(1);
        }
    }
}

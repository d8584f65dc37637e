//! Reading a safetensors file one tensor at a time with ordinary reads (no
//! memory map, so the file's pages are never counted in the process's
//! resident memory, and at most one tensor's floats are held besides the
//! result).
//!
//! The int8 engine (`super::int8`) reads its weights through it.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Largest header accepted (the format's own limit is 100 MB).
const MAX_HEADER: u64 = 100 << 20;
/// Bytes read per `read` call while converting a tensor.
const CHUNK: usize = 1 << 16;

/// One tensor's entry in the header.
#[derive(Debug, Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [u64; 2],
}

/// An open safetensors file and its header.
pub(super) struct TensorFile {
    path: PathBuf,
    file: File,
    /// Offset of the data section (8 + header length).
    data_start: u64,
    data_len: u64,
    entries: HashMap<String, Entry>,
}

impl TensorFile {
    /// Opens `path` and reads its header.
    pub(super) fn open(path: &Path) -> Result<TensorFile> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut len = [0u8; 8];
        file.read_exact(&mut len).map_err(|e| Error::io(path, e))?;
        let header_len = u64::from_le_bytes(len);
        if header_len > MAX_HEADER || 8 + header_len > file_len {
            return Err(Error::model(
                path,
                "cannot map weights: not a safetensors file",
            ));
        }
        let mut header = vec![0u8; header_len as usize];
        file.read_exact(&mut header)
            .map_err(|e| Error::io(path, e))?;
        let mut raw: HashMap<String, serde_json::Value> = serde_json::from_slice(&header)
            .map_err(|e| Error::model(path, format!("cannot map weights: bad header: {e}")))?;
        raw.remove("__metadata__");
        let entries = raw
            .into_iter()
            .map(|(name, v)| {
                serde_json::from_value::<Entry>(v)
                    .map(|e| (name.clone(), e))
                    .map_err(|e| {
                        Error::model(path, format!("cannot map weights: bad entry {name}: {e}"))
                    })
            })
            .collect::<Result<_>>()?;
        Ok(TensorFile {
            path: path.to_path_buf(),
            file,
            data_start: 8 + header_len,
            data_len: file_len - 8 - header_len,
            entries,
        })
    }

    /// True when the file has a tensor of that name.
    pub(super) fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The tensor `name`, which must have `shape`, converted to f32 as
    /// candle's `to_dtype(F32)` does (exactly for F16, BF16 and F32;
    /// rounding to nearest for F64).
    pub(super) fn floats(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let bad = |msg: String| Error::model(&self.path, format!("bad weights: {msg}"));
        let entry = self
            .entries
            .get(name)
            .ok_or_else(|| bad(format!("cannot find tensor {name}")))?;
        if entry.shape != shape {
            return Err(bad(format!(
                "shape mismatch for {name}, expected {shape:?}, got {:?}",
                entry.shape
            )));
        }
        let size = match entry.dtype.as_str() {
            "F32" => 4,
            "F16" | "BF16" => 2,
            "F64" => 8,
            other => return Err(bad(format!("{name} has unsupported dtype {other}"))),
        };
        let n: usize = shape.iter().product();
        let [start, end] = entry.data_offsets;
        if end < start || end > self.data_len || end - start != (n * size) as u64 {
            return Err(bad(format!("{name}: data offsets do not match its shape")));
        }
        let mut file = &self.file;
        file.seek(SeekFrom::Start(self.data_start + start))
            .map_err(|e| Error::io(&self.path, e))?;
        let mut out = Vec::with_capacity(n);
        let mut buf = vec![0u8; CHUNK];
        let mut left = n * size;
        while left > 0 {
            let take = left.min(CHUNK);
            file.read_exact(&mut buf[..take])
                .map_err(|e| Error::io(&self.path, e))?;
            let bytes = &buf[..take];
            match size {
                4 => decode(bytes, &mut out, f32::from_le_bytes),
                8 => decode(bytes, &mut out, |b| f64::from_le_bytes(b) as f32),
                _ if entry.dtype == "BF16" => decode(bytes, &mut out, |b| {
                    f32::from_bits(u32::from(u16::from_le_bytes(b)) << 16)
                }),
                _ => decode(bytes, &mut out, |b| f16_to_f32(u16::from_le_bytes(b))),
            }
            left -= take;
        }
        Ok(out)
    }
}

/// Appends the values of `bytes`, read `N` little-endian bytes at a time.
fn decode<const N: usize>(bytes: &[u8], out: &mut Vec<f32>, value: impl Fn([u8; N]) -> f32) {
    out.extend(bytes.as_chunks::<N>().0.iter().map(|b| value(*b)));
}

/// IEEE half → single precision, exactly (as the `half` crate that
/// candle uses: every f16 value is an f32 value).
pub(super) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: man × 2⁻²⁴, a normal f32 (exact).
            let v = man as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        (0x1f, 0) => sign | 0x7f80_0000,
        (0x1f, _) => sign | 0x7fc0_0000 | (man << 13),
        _ => sign | ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

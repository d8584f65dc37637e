//! The embedding cache: sentence embeddings of the frozen encoder, kept in
//! `.cache/rhetor/` keyed by the base weights, the options (pooling
//! included) and the texts.

use super::transformer::{progress_bar, Trainer};
use crate::error::{Error, Result};
use crate::model::bert::{BertEncoder, Encoder, Pooling};
use sha2::{Digest, Sha256};
use std::path::Path;

impl Trainer {
    /// Sentence embeddings of all texts, from the cache when possible.
    pub(super) fn cached_embeddings(&self) -> Result<Vec<Vec<f32>>> {
        let cache = EmbedCache {
            encoder: &self.encoder,
            base_sha: &self.base_sha,
            max_len: self.opts.max_len,
            dir: &self.opts.cache_dir,
            progress: self.opts.progress,
        };
        cache.embeddings(&self.texts)
    }
}

/// Where and how frozen-encoder embeddings are computed and cached.
pub(super) struct EmbedCache<'a> {
    /// The frozen encoder.
    pub(super) encoder: &'a BertEncoder,
    /// SHA-256 of its weights (part of the cache key).
    pub(super) base_sha: &'a str,
    /// Maximum sequence length (part of the cache key).
    pub(super) max_len: usize,
    /// The cache folder.
    pub(super) dir: &'a Path,
    /// Show a progress bar while embedding.
    pub(super) progress: bool,
}

impl EmbedCache<'_> {
    /// Sentence embeddings of `texts`, from the cache when possible.
    pub(super) fn embeddings(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let mut h = Sha256::new();
        h.update(self.base_sha.as_bytes());
        h.update(self.max_len.to_le_bytes());
        if self.encoder.pooling() != Pooling::Mean {
            h.update(format!("{:?}", self.encoder.pooling()).as_bytes());
        }
        for t in texts {
            h.update(t.as_bytes());
            h.update([0u8]);
        }
        let key = format!("{:x}", h.finalize());
        let path = self.dir.join(format!("emb-{}.f32", &key[..16]));
        let dim = self.encoder.dim();
        if let Ok(bytes) = std::fs::read(&path) {
            if bytes.len() == texts.len() * dim * 4 {
                let flat: Vec<f32> = bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                return Ok(flat.chunks(dim).map(|c| c.to_vec()).collect());
            }
        }
        let emb = self.embed_with_progress(texts)?;
        std::fs::create_dir_all(self.dir).map_err(|e| Error::io(self.dir, e))?;
        let bytes: Vec<u8> = emb.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        Ok(emb)
    }

    fn embed_with_progress(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let pb = progress_bar(texts.len(), "embedding", self.progress);
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(512) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            out.extend(self.encoder.embed_texts(&refs)?);
            pb.inc(chunk.len() as u64);
        }
        pb.finish_and_clear();
        Ok(out)
    }
}

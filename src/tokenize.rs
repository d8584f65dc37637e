//! Tokenization with the Hugging Face `tokenizers` crate, using the model's own
//! `tokenizer.json` (WordPiece for BERT models).
//!
//! [`WordPieceTokenizer::encode`] turns texts into [`Encoded`] sequences (ids
//! plus byte offsets of every word piece in the input text), truncated at the
//! model's maximum length; [`TokenBatch::from_encoded`] pads a group of them
//! into the rectangular arrays the encoder consumes.

use crate::error::{Error, Result};
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams};

/// Default maximum sequence length in word pieces (including `[CLS]`/`[SEP]`).
pub const DEFAULT_MAX_LEN: usize = 128;

/// Sequences are padded to a multiple of this many tokens, so that a
/// sentence's padded length depends only on the sentence itself (this is what
/// makes scores independent of the batch they are computed in).
pub const PAD_MULTIPLE: usize = 8;

/// One tokenized text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Word-piece ids, with special tokens.
    pub ids: Vec<u32>,
    /// Byte range of every word piece in the input text (`(0, 0)` for special tokens).
    pub offsets: Vec<(usize, usize)>,
}

impl Encoded {
    /// Number of word pieces, special tokens included.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no tokens at all.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The padded length of this sequence (next multiple of [`PAD_MULTIPLE`]).
    pub fn bucket_len(&self) -> usize {
        self.len().max(1).div_ceil(PAD_MULTIPLE) * PAD_MULTIPLE
    }
}

/// A padded batch of token sequences, row-major `batch × seq_len`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBatch {
    /// Token ids (padding = 0).
    pub ids: Vec<u32>,
    /// Attention mask: 1 for real tokens, 0 for padding.
    pub mask: Vec<u32>,
    /// Number of sequences.
    pub batch: usize,
    /// Padded length of every sequence.
    pub seq_len: usize,
}

impl TokenBatch {
    /// Pads `seqs` to the longest bucket length among them.
    pub fn from_encoded(seqs: &[&Encoded]) -> TokenBatch {
        let seq_len = seqs
            .iter()
            .map(|e| e.bucket_len())
            .max()
            .unwrap_or(PAD_MULTIPLE);
        let mut ids = vec![0u32; seqs.len() * seq_len];
        let mut mask = vec![0u32; seqs.len() * seq_len];
        for (row, enc) in seqs.iter().enumerate() {
            let base = row * seq_len;
            for (j, &id) in enc.ids.iter().enumerate().take(seq_len) {
                ids[base + j] = id;
                mask[base + j] = 1;
            }
        }
        TokenBatch {
            ids,
            mask,
            batch: seqs.len(),
            seq_len,
        }
    }
}

/// A BERT word-piece tokenizer read from a `tokenizer.json`.
pub struct WordPieceTokenizer {
    inner: Tokenizer,
    max_len: usize,
    /// Id of the `[MASK]` token (used by occlusion attributions), if the vocabulary has one.
    mask_id: Option<u32>,
}

impl WordPieceTokenizer {
    /// Reads `tokenizer.json`; sequences are truncated at `max_len` word pieces.
    pub fn from_file(path: &Path, max_len: usize) -> Result<WordPieceTokenizer> {
        let mut inner = Tokenizer::from_file(path)
            .map_err(|e| Error::model(path, format!("cannot read tokenizer: {e}")))?;
        inner.with_padding(None);
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_len.max(2),
                ..Default::default()
            }))
            .map_err(|e| Error::model(path, format!("cannot set truncation: {e}")))?;
        let mask_id = inner.token_to_id("[MASK]");
        Ok(WordPieceTokenizer {
            inner,
            max_len: max_len.max(2),
            mask_id,
        })
    }

    /// The maximum sequence length.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The id of `[MASK]`, if any.
    pub fn mask_id(&self) -> Option<u32> {
        self.mask_id
    }

    /// Tokenizes `texts` (in parallel), adding special tokens and truncating.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Encoded>> {
        let encodings = self
            .inner
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(encodings
            .into_iter()
            .map(|e| Encoded {
                ids: e.get_ids().to_vec(),
                offsets: e.get_offsets().to_vec(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(n: usize) -> Encoded {
        Encoded {
            ids: (1..=n as u32).collect(),
            offsets: vec![(0, 0); n],
        }
    }

    #[test]
    fn bucket_len_rounds_up_to_pad_multiple() {
        assert_eq!(enc(1).bucket_len(), 8);
        assert_eq!(enc(8).bucket_len(), 8);
        assert_eq!(enc(9).bucket_len(), 16);
    }

    #[test]
    fn batch_pads_with_zeros_and_masks() {
        let a = enc(3);
        let b = enc(10);
        let batch = TokenBatch::from_encoded(&[&a, &b]);
        assert_eq!(batch.seq_len, 16);
        assert_eq!(&batch.ids[0..4], &[1, 2, 3, 0]);
        assert_eq!(batch.mask[..16].iter().sum::<u32>(), 3);
        assert_eq!(batch.mask[16..].iter().sum::<u32>(), 10);
    }
}

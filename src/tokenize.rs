//! Tokenization with the Hugging Face `tokenizers` crate. (Transformer issue.)

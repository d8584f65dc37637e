//! Classification heads on top of sentence embeddings. (Transformer issue.)

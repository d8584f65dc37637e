//! Training of the transformer head (`rhetor train`). (Transformer issue.)

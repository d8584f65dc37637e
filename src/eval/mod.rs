//! Evaluation against labelled sets: label readers (rhetor CSV, PTC), metrics
//! (P/R/F1, PR-AUC, SLC F1, calibration), bootstrap confidence intervals.
//! (Implemented in the evaluation issue.)

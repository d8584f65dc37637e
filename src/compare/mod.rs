//! Comparing outlets and periods: rates with confidence intervals, permutation
//! tests with Holm correction. (Implemented in the comparison issue.)

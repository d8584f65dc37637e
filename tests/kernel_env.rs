//! An explicitly passed int8 kernel is never overridden or refused because of
//! `RHETOR_KERNEL`; only the constructor without a kernel reads it. One test
//! in its own binary, because it sets a process-wide variable.

use rhetor::model::int8::Int8Encoder;
use rhetor::model::kernels::Kernel;
use rhetor::model::tiny::write_tiny_base;

#[test]
fn an_explicit_kernel_ignores_rhetor_kernel_and_the_default_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_base(dir.path(), 7).unwrap();
    std::env::set_var("RHETOR_KERNEL", "no-such-kernel");
    let explicit = Int8Encoder::load_with_kernel(dir.path(), 32, None, Kernel::Portable);
    assert!(
        explicit.is_ok(),
        "explicit kernel refused: {:?}",
        explicit.err()
    );
    let err = Int8Encoder::load(dir.path(), 32, None)
        .err()
        .expect("an invalid RHETOR_KERNEL is an error where no kernel is passed")
        .to_string();
    assert!(err.contains("RHETOR_KERNEL=no-such-kernel"), "{err}");
    std::env::set_var("RHETOR_KERNEL", "portable");
    assert!(Int8Encoder::load(dir.path(), 32, None).is_ok());
}

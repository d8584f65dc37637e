//! What the CPU offers the int8 kernels: its SIMD features (detected at run
//! time) and a printable report ([`CpuReport`]) for `rhetor doctor` and the
//! benchmarks.

use super::Kernel;

/// The SIMD features the kernels care about (all `false` on other
/// architectures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Features {
    pub sse41: bool,
    pub avx2: bool,
    pub fma: bool,
    pub avx512f: bool,
    pub avx512bw: bool,
    pub avx512vnni: bool,
    pub avxvnni: bool,
    pub neon: bool,
    pub dotprod: bool,
}

impl Features {
    /// Detects the features of this CPU (the standard library caches the
    /// CPUID / auxiliary-vector queries, so this is cheap).
    pub(super) fn get() -> Features {
        #[allow(unused_mut)]
        let mut f = Features::default();
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            f.sse41 = has!("sse4.1");
            f.avx2 = has!("avx2");
            f.fma = has!("fma");
            f.avx512f = has!("avx512f");
            f.avx512bw = has!("avx512bw");
            f.avx512vnni = has!("avx512vnni");
            f.avxvnni = has!("avxvnni");
        }
        #[cfg(target_arch = "aarch64")]
        {
            use std::arch::is_aarch64_feature_detected as has;
            f.neon = has!("neon");
            f.dotprod = has!("dotprod");
        }
        f
    }

    /// Names of the features present, in a fixed order.
    fn names(self) -> Vec<&'static str> {
        [
            (self.sse41, "sse4.1"),
            (self.avx2, "avx2"),
            (self.fma, "fma"),
            (self.avx512f, "avx512f"),
            (self.avx512bw, "avx512bw"),
            (self.avx512vnni, "avx512vnni"),
            (self.avxvnni, "avxvnni"),
            (self.neon, "neon"),
            (self.dotprod, "dotprod"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// The CPU, its SIMD features and the int8 kernel choice, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuReport {
    /// CPU model name (`/proc/cpuinfo`), or `unknown`.
    pub model: String,
    /// Architecture (`x86_64`, `aarch64`, …).
    pub arch: &'static str,
    /// Logical CPUs available to this process.
    pub threads: usize,
    /// SIMD features relevant to the kernels that this CPU has.
    pub features: Vec<&'static str>,
    /// Kernels this CPU supports, fastest first.
    pub supported: Vec<Kernel>,
    /// The fastest supported kernel.
    pub best: Kernel,
    /// The kernel the int8 engine runs ([`Kernel::detect`]).
    pub chosen: Kernel,
    /// `RHETOR_KERNEL` as set (when it is), and the problem with it (when
    /// there is one).
    pub forced: Option<(String, Option<String>)>,
}

impl CpuReport {
    /// Describes this CPU and process.
    pub fn detect() -> CpuReport {
        let forced = std::env::var(super::KERNEL_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, Kernel::from_env().err().map(|e| e.to_string())));
        CpuReport {
            model: cpu_model().unwrap_or_else(|| "unknown".to_string()),
            arch: std::env::consts::ARCH,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            features: Features::get().names(),
            supported: Kernel::supported(),
            best: Kernel::best(),
            chosen: Kernel::detect(),
            forced,
        }
    }

    /// True when the chosen kernel is a fast int8 path ([`Kernel::is_fast`]).
    pub fn is_fast(&self) -> bool {
        self.chosen.is_fast()
    }

    /// One line for benchmark tables: model, features, kernel.
    pub fn summary(&self) -> String {
        format!(
            "{} ({}; {}) kernel {}",
            self.model,
            self.arch,
            self.features.join(" "),
            self.chosen
        )
    }
}

impl std::fmt::Display for CpuReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |ks: &[Kernel]| ks.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ");
        writeln!(f, "CPU:               {}", self.model)?;
        writeln!(f, "architecture:      {}", self.arch)?;
        writeln!(f, "threads:           {}", self.threads)?;
        let features = if self.features.is_empty() {
            "(none of the ones rhetor uses)".to_string()
        } else {
            self.features.join(" ")
        };
        writeln!(f, "SIMD features:     {features}")?;
        writeln!(f, "int8 kernels:      {}", names(&self.supported))?;
        writeln!(f, "best kernel:       {}", self.best)?;
        match &self.forced {
            Some((value, None)) => writeln!(f, "RHETOR_KERNEL:     {value} (forced)")?,
            Some((value, Some(problem))) => {
                writeln!(f, "RHETOR_KERNEL:     {value} — ERROR: {problem}")?
            }
            None => writeln!(f, "RHETOR_KERNEL:     (unset)")?,
        }
        writeln!(f, "chosen kernel:     {}", self.chosen)?;
        let verdict = if self.is_fast() {
            "yes (the int8 engine is the faster one here)"
        } else {
            "no (portable kernel: the float engine is faster here)"
        };
        write!(f, "fast int8 path:    {verdict}")
    }
}

/// The CPU's model name from `/proc/cpuinfo` (`model name` on x86, `Model`,
/// `Hardware` or `CPU part` on ARM), where that file exists.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    model_from_cpuinfo(&info)
}

fn model_from_cpuinfo(info: &str) -> Option<String> {
    let field = |key: &str| {
        info.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            (k.trim() == key && !v.trim().is_empty()).then(|| v.trim().to_string())
        })
    };
    ["model name", "Model", "Hardware"]
        .into_iter()
        .find_map(field)
        .or_else(|| field("CPU part").map(|p| format!("ARM CPU part {p}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_name_comes_from_cpuinfo() {
        let x86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\nflags\t: fpu\n";
        assert_eq!(model_from_cpuinfo(x86).as_deref(), Some("AMD EPYC 9R14"));
        let arm = "processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n";
        assert_eq!(
            model_from_cpuinfo(arm).as_deref(),
            Some("ARM CPU part 0xd0c")
        );
        assert_eq!(model_from_cpuinfo("processor : 0\n"), None);
    }

    #[test]
    fn the_report_names_the_chosen_kernel_and_the_features() {
        let report = CpuReport::detect();
        let text = report.to_string();
        assert!(text.contains(&format!("chosen kernel:     {}", report.chosen)));
        assert!(report.supported.contains(&Kernel::Portable));
        assert!(report.supported.contains(&report.best));
        for feature in &report.features {
            assert!(text.contains(feature));
        }
        if Kernel::supported().contains(&Kernel::Avx2) {
            assert!(report.features.contains(&"avx2"));
        }
    }
}

//! The x86-64 instruction-set levels the SIMD kernels are compiled for, and which one
//! the running CPU has.
//!
//! The workspace builds for the baseline target (SSE2 on x86-64), so kernels that
//! want wider vectors are compiled again inside `#[target_feature]` functions and one
//! is picked at run time, the way ripgrep and memchr choose their SIMD paths. Both
//! the dense scans and SPLADE's int8 decoder dispatch on this one type.

/// An instruction-set level a kernel is compiled for, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// The build's baseline target (SSE2 on x86-64; whatever the target is elsewhere).
    Portable,
    /// x86-64 AVX2.
    Avx2,
    /// x86-64 AVX-512 F + BW.
    Avx512,
    /// AVX-512 F + BW with VNNI (`vpdpbusd`: 64 int8 multiply-adds an instruction).
    Avx512Vnni,
}

impl Isa {
    /// Every level, lowest first.
    pub const ALL: [Isa; 4] = [Isa::Portable, Isa::Avx2, Isa::Avx512, Isa::Avx512Vnni];

    /// The best level this CPU supports.
    pub fn detected() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") {
                if is_x86_feature_detected!("avx512vnni") {
                    return Isa::Avx512Vnni;
                }
                return Isa::Avx512;
            }
            if is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// The level named by environment variable `var` when it is set, names a level and
    /// the CPU has it (a level the CPU lacks falls back to the best one it has); else
    /// [`Isa::detected`]. For benchmarks and tests that compare paths.
    pub fn from_env(var: &str) -> Isa {
        match std::env::var(var) {
            Ok(name) => Isa::parse(&name).map(Isa::supported),
            Err(_) => None,
        }
        .unwrap_or_else(Isa::detected)
    }

    /// The level's name, as the environment variables spell it.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Avx512Vnni => "avx512vnni",
        }
    }

    /// Parses a name of [`Isa::name`] (case and surrounding space ignored).
    pub fn parse(name: &str) -> Option<Isa> {
        let name = name.trim().to_ascii_lowercase();
        Isa::ALL.into_iter().find(|isa| isa.name() == name)
    }

    /// `self` if the CPU supports it, else the best level it does. Kernels dispatch on
    /// this, so asking for a level the CPU lacks is safe.
    pub fn supported(self) -> Isa {
        self.min(Isa::detected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_none() {
        for isa in Isa::ALL {
            assert_eq!(Isa::parse(isa.name()), Some(isa));
            assert_eq!(
                Isa::parse(&format!(" {} ", isa.name().to_uppercase())),
                Some(isa)
            );
        }
        assert_eq!(Isa::parse("sse9"), None);
    }

    #[test]
    fn supported_never_exceeds_the_cpu() {
        for isa in Isa::ALL {
            assert!(isa.supported() <= Isa::detected());
            assert!(isa.supported() <= isa);
        }
    }
}

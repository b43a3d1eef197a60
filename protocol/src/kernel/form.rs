//! The forms of a backend's rounds: the same hash, the same outcome, written
//! for different cores.
//!
//! A vector backend's speed is bound either by its rounds' dependency
//! chains or by how many operations its pipes issue, and which one depends
//! on the core, not on its features: on Zen 5 every 512-bit integer
//! operation takes two cycles and the chains bind, so AVX-512 is fastest in
//! the short-chain form, which spends one more operation per round to make
//! each chain shorter; on Intel's Golden Cove class, where the same
//! operations take one cycle and issue on fewer ports, throughput binds and
//! the extra operation only costs. So the backends whose forms differ (the
//! ones written over [`super::word::Word`]: AVX-512 and AVX2) build both,
//! and a host measures them at start-up as it measures the backends.
//!
//! SHA-NI's rounds are instructions, but how its generated step is laid
//! out is bound by the core the same way: Zen 5 issues `sha256rnds2` every
//! two cycles and holds a long step in its op cache, so [`Form::Wide`]
//! keeps its one SHA unit busiest; Zen 3 issues one every cycle but the
//! wide step overflows its op cache, and [`Form::Compact`] (fewer and
//! shorter instructions) runs 1.8-1.9 times as fast there. The others
//! (portable, the Thumb assembly) have one form, [`Form::Plain`].

use core::fmt;

/// How a backend writes its rounds (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Form {
    /// The rounds as the standard writes them: `T1 = h + K + W + Ch + Σ1`,
    /// the new `e` four operations deep from the old one.
    Plain,
    /// One more operation per round for chains one operation shorter: the
    /// new `e` three operations deep (`d + h + K + W` summed early, then
    /// Ch, then Σ1), `T1` recovered as `e' - d` for the new `a`. For cores
    /// bound by latency.
    ShortChain,
    /// SHA-NI: the step in plain SSE, each quad's `K + W` stored for its
    /// round pairs to load, operands four bytes from the frame: 22.6 KB of
    /// code. For cores with a large op cache.
    Wide,
    /// SHA-NI: the same step in fewer and shorter instructions (`palignr`,
    /// VEX forms, `K + W` straight from the quad's register, one-byte
    /// displacements): 12.2 KB. For cores whose op cache the wide step
    /// overflows; needs AVX.
    Compact,
}

impl Form {
    /// Every form.
    pub const ALL: &'static [Form] = &[Form::Plain, Form::ShortChain, Form::Wide, Form::Compact];

    /// A short stable name (`plain`, `short-chain`).
    pub fn name(self) -> &'static str {
        match self {
            Form::Plain => "plain",
            Form::ShortChain => "short-chain",
            Form::Wide => "wide",
            Form::Compact => "compact",
        }
    }

    /// The form with this name.
    pub fn from_name(name: &str) -> Option<Form> {
        Form::ALL.iter().copied().find(|f| f.name() == name)
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A form as a type, so that the double hash of [`super::sha256d`] is
/// compiled once per form, each copy straight-line code.
pub(crate) trait Rounds {
    /// Whether the rounds take the short-chain form.
    const SHORT_CHAINS: bool;
}

/// [`Form::Plain`] as a type.
#[derive(Debug)]
pub(crate) enum PlainRounds {}

impl Rounds for PlainRounds {
    const SHORT_CHAINS: bool = false;
}

/// [`Form::ShortChain`] as a type.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[derive(Debug)]
pub(crate) enum ShortChainRounds {}

impl Rounds for ShortChainRounds {
    const SHORT_CHAINS: bool = true;
}

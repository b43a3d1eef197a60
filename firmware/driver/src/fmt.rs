//! Logging macros that forward to `defmt` or `log`, whichever feature is on,
//! or to nothing. Format strings use only `{}` and `{:?}`, which both
//! understand; arguments implement both `defmt::Format` and `Debug`.

#[cfg(feature = "defmt")]
macro_rules! log_at {
    ($level:ident, $($t:tt)*) => { ::defmt::$level!($($t)*) };
}

#[cfg(feature = "log")]
macro_rules! log_at {
    ($level:ident, $($t:tt)*) => { ::log::$level!($($t)*) };
}

#[cfg(not(any(feature = "defmt", feature = "log")))]
macro_rules! log_at {
    ($level:ident, $fmt:literal $(, $arg:expr)* $(,)?) => {{
        let _ = $fmt;
        $( let _ = &$arg; )*
    }};
}

macro_rules! info { ($($t:tt)*) => { log_at!(info, $($t)*) }; }
macro_rules! warn { ($($t:tt)*) => { log_at!(warn, $($t)*) }; }
macro_rules! error { ($($t:tt)*) => { log_at!(error, $($t)*) }; }
macro_rules! debug { ($($t:tt)*) => { log_at!(debug, $($t)*) }; }

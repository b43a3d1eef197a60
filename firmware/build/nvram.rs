//! The CYW43439's NVRAM (board-specific radio parameters), from a readable
//! text file to the bytes the chip loads: `key=value` entries separated by
//! NUL, an empty entry at the end, padded with NULs to a multiple of 4.

pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        assert!(line.contains('='), "nvram entry without '=': {line:?}");
        out.extend_from_slice(line.as_bytes());
        out.push(0);
    }
    out.push(0);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

//! Redrawing a block of lines in place on a terminal of any size.
//!
//! Each frame moves the cursor back up over the previous frame and clears
//! down. What it moves over is counted in screen rows, not lines: a line
//! wider than the terminal takes several rows, and a terminal that was
//! made narrower re-wraps (most do) what was drawn before. So every line is
//! cut to one column less than the width (a line filling the last column
//! leaves some terminals waiting to wrap), the frame to one row less than
//! the height (the cursor cannot move above the top row), and the rows of
//! the previous frame are counted again at the current width. The size is
//! read with `crossterm` before every frame, so a resize takes effect at
//! the next one.

use std::fmt::Write as _;

/// A terminal size, columns and rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
}

impl Size {
    /// The terminal's size now, or 80 x 24 when it cannot be read.
    pub fn now() -> Size {
        match crossterm::terminal::size() {
            Ok((cols, rows)) if cols > 0 && rows > 0 => Size { cols, rows },
            _ => Size { cols: 80, rows: 24 },
        }
    }
}

/// The frames drawn so far (only the widths of the last one matter).
#[derive(Debug, Default)]
pub struct Screen {
    drawn: Vec<usize>,
}

/// `text` cut to at most `width` characters.
pub fn clip(text: &str, width: usize) -> &str {
    match text.char_indices().nth(width) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

impl Screen {
    /// A screen on which nothing was drawn yet.
    pub fn new() -> Screen {
        Screen::default()
    }

    /// The bytes that replace the previous frame with `lines` on a terminal
    /// of `size`. Lines past what fits are dropped; the last line kept
    /// says how many.
    pub fn frame(&mut self, lines: &[String], size: Size) -> String {
        let width = usize::from(size.cols.max(2)) - 1;
        let fit = usize::from(size.rows.max(2)) - 1;
        let above: usize = self
            .drawn
            .iter()
            .map(|&w| w.div_ceil(usize::from(size.cols.max(1))).max(1))
            .sum();
        let mut out = String::from("\r");
        if above > 0 {
            let _ = write!(out, "\x1b[{}A", above.min(fit));
        }
        out.push_str("\x1b[J");
        let mut shown: Vec<&str> = lines.iter().map(String::as_str).collect();
        let more;
        if shown.len() > fit {
            more = format!(
                "... {} more lines (a taller terminal shows them)",
                shown.len() - fit + 1
            );
            shown.truncate(fit - 1);
            shown.push(&more);
        }
        self.drawn.clear();
        for line in shown {
            let line = clip(line, width);
            out.push_str(line);
            out.push('\n');
            self.drawn.push(line.chars().count());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize, width: usize) -> Vec<String> {
        let mut lines = vec![format!("frame {n} header")];
        lines.push(format!("wide {n} {}", "x".repeat(width)));
        for m in 0..5 {
            lines.push(format!("  miner m{m} at frame {n}"));
        }
        lines
    }

    fn screen_text(p: &vt100::Parser) -> String {
        p.screen().contents()
    }

    #[test]
    fn frames_replace_each_other_at_any_width() {
        for cols in [20u16, 40, 80, 200] {
            let mut p = vt100::Parser::new(24, cols, 0);
            p.process(b"$ coordinator demo\n");
            let mut s = Screen::new();
            for n in 0..30 {
                let bytes = s.frame(&frame(n, 300), Size { cols, rows: 24 });
                p.process(bytes.replace('\n', "\r\n").as_bytes());
            }
            let text = screen_text(&p);
            assert_eq!(text.matches("header").count(), 1, "{cols} columns:\n{text}");
            assert!(text.contains("frame 29 header"), "{text}");
            assert!(text.contains("$ coordinator demo"), "{text}");
            assert_eq!(text.matches("miner m4").count(), 1, "{text}");
        }
    }

    #[test]
    fn a_frame_taller_than_the_terminal_is_cut_and_says_so() {
        let mut p = vt100::Parser::new(6, 80, 0);
        let mut s = Screen::new();
        for n in 0..10 {
            let bytes = s.frame(&frame(n, 10), Size { cols: 80, rows: 6 });
            p.process(bytes.replace('\n', "\r\n").as_bytes());
        }
        let text = screen_text(&p);
        assert_eq!(text.matches("header").count(), 1, "{text}");
        assert!(text.contains("more lines"), "{text}");
    }

    #[test]
    fn rows_of_a_wider_frame_are_counted_again_after_a_resize() {
        let mut s = Screen::new();
        s.frame(
            &["x".repeat(100)],
            Size {
                cols: 120,
                rows: 24,
            },
        );
        // 100 columns at a width of 40 re-wrap into 3 rows.
        let bytes = s.frame(&["y".into()], Size { cols: 40, rows: 24 });
        assert!(bytes.starts_with("\r\x1b[3A\x1b[J"), "{bytes:?}");
        assert_eq!(clip("abcdef", 3), "abc");
        assert_eq!(clip("ab", 3), "ab");
    }
}

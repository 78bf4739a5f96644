//! Just enough Arabic shaping to draw the library's messages with a plain glyph rasterizer:
//! each letter takes its isolated, final, initial or medial form from Unicode's Arabic
//! Presentation Forms-B (U+FE70-FEFF, which DejaVu Sans covers fully), lam + alef become their
//! ligature, diacritics are dropped (the messages read fine without them), and the result is
//! reversed into visual (left-to-right) order. Good for the pure-Arabic messages only: runs of
//! Latin letters or digits inside Arabic text would come out reversed.

/// How a letter joins its neighbours.
#[derive(Clone, Copy, PartialEq)]
enum Join {
    /// Joins on both sides: isolated, final, initial, medial forms.
    Dual,
    /// Joins only to the letter before it (on its right): isolated and final forms.
    Right,
    /// Tatweel: joins both sides and has no forms.
    Causing,
    /// Does not join.
    None,
}

/// The presentation forms of U+0621..=U+064A: (isolated, final, initial, medial), 0 = none.
fn forms(c: char) -> Option<(Join, [u32; 4])> {
    let u = c as u32;
    let right = |iso: u32| Some((Join::Right, [iso, iso + 1, 0, 0]));
    let dual = |iso: u32| Some((Join::Dual, [iso, iso + 1, iso + 2, iso + 3]));
    match u {
        0x0621 => Some((Join::None, [0xFE80, 0, 0, 0])),
        0x0622 => right(0xFE81),
        0x0623 => right(0xFE83),
        0x0624 => right(0xFE85),
        0x0625 => right(0xFE87),
        0x0626 => dual(0xFE89),
        0x0627 => right(0xFE8D),
        0x0628 => dual(0xFE8F),
        0x0629 => right(0xFE93),
        0x062A => dual(0xFE95),
        0x062B => dual(0xFE99),
        0x062C => dual(0xFE9D),
        0x062D => dual(0xFEA1),
        0x062E => dual(0xFEA5),
        0x062F => right(0xFEA9),
        0x0630 => right(0xFEAB),
        0x0631 => right(0xFEAD),
        0x0632 => right(0xFEAF),
        0x0633 => dual(0xFEB1),
        0x0634 => dual(0xFEB5),
        0x0635 => dual(0xFEB9),
        0x0636 => dual(0xFEBD),
        0x0637 => dual(0xFEC1),
        0x0638 => dual(0xFEC5),
        0x0639 => dual(0xFEC9),
        0x063A => dual(0xFECD),
        0x0640 => Some((Join::Causing, [0x0640; 4])),
        0x0641 => dual(0xFED1),
        0x0642 => dual(0xFED5),
        0x0643 => dual(0xFED9),
        0x0644 => dual(0xFEDD),
        0x0645 => dual(0xFEE1),
        0x0646 => dual(0xFEE5),
        0x0647 => dual(0xFEE9),
        0x0648 => right(0xFEED),
        0x0649 => right(0xFEEF),
        0x064A => dual(0xFEF1),
        _ => None,
    }
}

/// Harakat and other marks that do not take part in joining; dropped from the output.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x064B..=0x065F | 0x0670)
}

/// Lam + this alef: (isolated, final) ligature.
fn lam_alef(alef: char) -> Option<[u32; 2]> {
    match alef as u32 {
        0x0622 => Some([0xFEF5, 0xFEF6]),
        0x0623 => Some([0xFEF7, 0xFEF8]),
        0x0625 => Some([0xFEF9, 0xFEFA]),
        0x0627 => Some([0xFEFB, 0xFEFC]),
        _ => None,
    }
}

fn joins_forward(j: Join) -> bool {
    matches!(j, Join::Dual | Join::Causing)
}

fn joins_backward(j: Join) -> bool {
    matches!(j, Join::Dual | Join::Right | Join::Causing)
}

/// Whether `s` holds any Arabic letter.
pub fn is_arabic(s: &str) -> bool {
    s.chars().any(|c| forms(c).is_some())
}

/// Shapes `s` and returns it in visual order, ready to draw left to right.
pub fn shape(s: &str) -> String {
    let chars: Vec<char> = s.chars().filter(|&c| !is_mark(c)).collect();
    let join = |i: usize| chars.get(i).and_then(|&c| forms(c)).map(|f| f.0);
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let Some((j, f)) = forms(c) else {
            out.push(c);
            i += 1;
            continue;
        };
        let joins_prev = i > 0 && join(i - 1).is_some_and(joins_forward) && joins_backward(j);
        if c == '\u{0644}' {
            if let Some(lig) = chars.get(i + 1).and_then(|&a| lam_alef(a)) {
                let code = if joins_prev { lig[1] } else { lig[0] };
                out.push(char::from_u32(code).unwrap_or(c));
                i += 2;
                continue;
            }
        }
        let joins_next = joins_forward(j) && join(i + 1).is_some_and(joins_backward);
        let idx = match (joins_prev, joins_next) {
            (true, true) => 3,
            (false, true) => 2,
            (true, false) => 1,
            (false, false) => 0,
        };
        let code = if f[idx] != 0 { f[idx] } else { f[0] };
        out.push(char::from_u32(code).unwrap_or(c));
        i += 1;
    }
    out.reverse();
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_a_word() {
        // "قرّب" = qaf reh (shadda) beh: qaf initial, reh final, beh isolated; reversed.
        let s = shape("قرّب");
        let want: String = ['\u{FE8F}', '\u{FEAE}', '\u{FED7}'].iter().collect();
        assert_eq!(s, want);
        // Lam-alef ligature: "الإضاءة" starts alef + lam-alef-hamza-below.
        assert!(shape("الإضاءة").contains('\u{FEF9}'));
    }
}

//! Text helpers for Vietnamese names.

use unicode_normalization::UnicodeNormalization;

/// Folds text for accent-insensitive search: lower case, Vietnamese
/// diacritics removed (`đ` → `d`), runs of white space collapsed.
/// `Nguyễn Văn  An` → `nguyen van an`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.extend(c.to_lowercase());
            last_space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Trims and collapses inner white space, keeping the text otherwise exact
/// (diacritics, case). Names are stored this way, in Unicode NFC.
pub fn tidy(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect()
}

/// The first character of `text` that no name may hold: a control
/// character (C0, DEL, C1) or a bidirectional override, embedding or
/// isolate (U+202A–U+202E, U+2066–U+2069), which make a stored name read
/// differently from what it holds. Tabs and line breaks are controls too:
/// names are one line.
pub fn forbidden(text: &str) -> Option<char> {
    text.chars()
        .find(|c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

/// A name as stored: [`tidy`], after refusing what [`forbidden`] finds
/// (the message names the character's code point).
pub fn name(text: &str) -> Result<String, String> {
    match forbidden(text) {
        Some(c) => Err(format!(
            "must not contain control or bidirectional-override characters (U+{:04X})",
            u32::from(c)
        )),
        None => Ok(tidy(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_a_bidi_override_is_refused() {
        assert!(name("Nguyễn \u{202E}nA").is_err());
        assert!(name("An\u{2066}").is_err());
    }

    #[test]
    fn a_name_with_a_control_character_is_refused() {
        assert!(name("An\u{0}").is_err());
        assert!(name("An\nBình").is_err());
        assert!(name("An\u{85}").is_err());
    }

    #[test]
    fn a_name_is_stored_in_nfc() {
        let decomposed = "Nguye\u{302}\u{303}n";
        assert_eq!(name(decomposed).unwrap(), "Nguyễn");
    }

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Nguyễn Văn  An"), "nguyen van an");
        assert_eq!(fold("ĐẶNG Thị Ánh Tuyết"), "dang thi anh tuyet");
        assert_eq!(fold("Trần Đức Lương "), "tran duc luong");
    }

    #[test]
    fn tidies_without_losing_diacritics() {
        assert_eq!(tidy("  Nguyễn   Văn An "), "Nguyễn Văn An");
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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

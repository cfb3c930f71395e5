//! A file name MyCase can store and any computer can save: whatever the sender's phone,
//! browser or e-signature tool called the file.
//!
//! Path separators and characters Windows forbids become `_`; control and invisible
//! formatting characters (a right-to-left override can disguise `fdp.exe` as `exe.pdf`)
//! become `_`; leading dots (hidden files, `..`) and trailing dots and spaces go; a
//! reserved device name (`CON`, `PRN`, `COM1`, …) gets a `_` in front; an empty name
//! becomes `document`; a long name is shortened to [`MAX_BYTES`], keeping its extension.

use std::fmt;

/// Well under the 255 bytes most file systems allow: MyCase's own limit is not
/// documented, and the downloader's folder path counts too.
pub const MAX_BYTES: usize = 200;
/// Longer suffixes are part of the name, not an extension (`report.final-version-2`).
const MAX_EXTENSION_CHARS: usize = 10;
const FALLBACK: &str = "document";

/// A file name that holds none of the above. Only [`SafeFileName::new`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeFileName(String);

impl SafeFileName {
    pub fn new(raw: &str) -> Self {
        let cleaned = clean(raw);
        let (stem, extension) = split_extension(&cleaned);
        let mut stem = guard_reserved(stem);
        if stem.is_empty() {
            stem = FALLBACK.to_owned();
        }
        let suffix = extension.map(|e| format!(".{e}")).unwrap_or_default();
        let room = MAX_BYTES - suffix.len();
        let stem = truncate_bytes(&stem, room).trim_end_matches([' ', '.']);
        let stem = if stem.is_empty() { FALLBACK } else { stem };
        Self(format!("{stem}{suffix}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SafeFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One folder name made safe the same way (no extension to keep); `None` if nothing
/// is left of it.
pub fn safe_folder_name(raw: &str, max_bytes: usize) -> Option<String> {
    let cleaned = guard_reserved(&clean(raw));
    let cut = truncate_bytes(&cleaned, max_bytes).trim_end_matches([' ', '.']);
    (!cut.is_empty()).then(|| cut.to_owned())
}

fn is_unsafe(c: char) -> bool {
    matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
        || c.is_control()
        // Invisible formatting: zero-width, bidirectional overrides and isolates, BOM.
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn clean(raw: &str) -> String {
    // Line breaks and spaces at the ends are noise, not part of the name.
    let replaced: String = raw
        .trim_matches(|c: char| c.is_whitespace() || c.is_control())
        .chars()
        .map(|c| if is_unsafe(c) { '_' } else { c })
        .collect();
    replaced
        .trim()
        .trim_start_matches('.')
        .trim_end_matches([' ', '.'])
        .trim()
        .to_owned()
}

/// `photo.JPG` → (`photo`, `JPG`); a name with no real extension is all stem.
fn split_extension(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.trim().is_empty()
                && (1..=MAX_EXTENSION_CHARS).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (stem.trim_end(), Some(ext))
        }
        _ => (name, None),
    }
}

/// Windows reserves these device names whatever follows the first dot.
fn guard_reserved(stem: &str) -> String {
    let base = stem
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    let reserved = matches!(base.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((base.starts_with("COM") || base.starts_with("LPT"))
            && base.len() == 4
            && base.as_bytes()[3].is_ascii_digit()
            && base.as_bytes()[3] != b'0');
    if reserved {
        format!("_{stem}")
    } else {
        stem.to_owned()
    }
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_cell_by_cell() {
        let cases: &[(&str, &str)] = &[
            ("driver-license.jpg", "driver-license.jpg"),
            ("Scan 2026-11-24.PDF", "Scan 2026-11-24.PDF"),
            ("../../etc/passwd", "_.._etc_passwd"),
            (
                "..\\..\\windows\\system32\\cmd.exe",
                "_.._windows_system32_cmd.exe",
            ),
            ("a/b\\c:d*e?f\"g<h>i|j.png", "a_b_c_d_e_f_g_h_i_j.png"),
            ("line\nbreak\ttab\u{0}nul.txt", "line_break_tab_nul.txt"),
            ("invoice\u{202E}fdp.exe", "invoice_fdp.exe"),
            ("zero\u{200B}width.pdf", "zero_width.pdf"),
            ("scan.pdf\r\n", "scan.pdf"),
            ("CON", "_CON"),
            ("con.txt", "_con.txt"),
            ("Nul.tar.gz", "_Nul.tar.gz"),
            ("COM1.jpg", "_COM1.jpg"),
            ("lpt9", "_lpt9"),
            ("COM0.jpg", "COM0.jpg"),
            ("CONTRACT.pdf", "CONTRACT.pdf"),
            (".", "document"),
            ("..", "document"),
            ("", "document"),
            ("   ", "document"),
            (".htaccess", "htaccess"),
            (".pdf", "pdf"),
            ("report.pdf. . ", "report.pdf"),
            ("  spaced name .docx  ", "spaced name.docx"),
            ("no_extension", "no_extension"),
            ("notes.final-version-2", "notes.final-version-2"),
            ("Jane's photo (1).HEIC", "Jane's photo (1).HEIC"),
            ("Фото паспорта.jpg", "Фото паспорта.jpg"),
        ];
        for (raw, want) in cases {
            assert_eq!(SafeFileName::new(raw).as_str(), *want, "for {raw:?}");
        }
    }

    #[test]
    fn long_names_are_shortened_keeping_the_extension() {
        let long = format!("{}.pdf", "a".repeat(500));
        let safe = SafeFileName::new(&long);
        assert_eq!(safe.as_str().len(), MAX_BYTES);
        assert!(safe.as_str().ends_with("aaa.pdf"));
        // Multi-byte characters are never split.
        let long = format!("{}.jpeg", "é".repeat(300));
        let safe = SafeFileName::new(&long);
        assert!(safe.as_str().len() <= MAX_BYTES);
        assert!(safe.as_str().ends_with("é.jpeg"));
        // An over-long "extension" is part of the name and is shortened with it.
        let long = format!("x.{}", "b".repeat(300));
        assert_eq!(SafeFileName::new(&long).as_str().len(), MAX_BYTES);
    }

    #[test]
    fn folder_names() {
        assert_eq!(safe_folder_name(" Hona ", 100).as_deref(), Some("Hona"));
        assert_eq!(safe_folder_name("..", 100), None);
        assert_eq!(safe_folder_name("PRN", 100).as_deref(), Some("_PRN"));
        assert_eq!(safe_folder_name("a:b", 100).as_deref(), Some("a_b"));
        assert_eq!(safe_folder_name(&"z".repeat(300), 100).unwrap().len(), 100);
    }
}

//! Where a file lands in the case's Documents: the integration's folder (default
//! `Hona/`), then a sub-folder per source. MyCase creates missing folders from the path.

use super::file_name::{SafeFileName, safe_folder_name};
use super::received::Source;

pub const DEFAULT_FOLDER: &str = "Hona";
const MAX_SEGMENT_BYTES: usize = 100;
/// A folder the firm typed as `Clients/2026/Intake/…` is fine; a runaway path is not.
const MAX_DEPTH: usize = 5;

/// The sub-folder of each source, in the firm's words.
pub fn source_folder(source: Source) -> &'static str {
    match source {
        Source::Sms => "Text messages",
        Source::Portal => "Portal uploads",
        Source::Form => "Form answers",
        Source::Esignature => "E-signatures",
    }
}

/// `Hona/Text messages`: the integration's folder (each segment made safe; nothing
/// usable left means the default) and the source's sub-folder. No trailing slash.
pub fn folder_path(configured: Option<&str>, source: Source) -> String {
    let segments: Vec<String> = configured
        .unwrap_or(DEFAULT_FOLDER)
        .split(['/', '\\'])
        .filter_map(|s| safe_folder_name(s, MAX_SEGMENT_BYTES))
        .take(MAX_DEPTH)
        .collect();
    let base = if segments.is_empty() {
        DEFAULT_FOLDER.to_owned()
    } else {
        segments.join("/")
    };
    format!("{base}/{}", source_folder(source))
}

/// MyCase's `path`: the folder, then the document's display name (reference §7).
pub fn document_path(folder: &str, name: &SafeFileName) -> String {
    format!("{folder}/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_folder_and_a_sub_folder_per_source() {
        assert_eq!(folder_path(None, Source::Sms), "Hona/Text messages");
        assert_eq!(folder_path(None, Source::Portal), "Hona/Portal uploads");
        assert_eq!(folder_path(None, Source::Form), "Hona/Form answers");
        assert_eq!(folder_path(None, Source::Esignature), "Hona/E-signatures");
    }

    #[test]
    fn the_firms_folder_as_typed_made_safe() {
        let cases: &[(&str, &str)] = &[
            ("Hona/", "Hona/Text messages"),
            ("Client Files", "Client Files/Text messages"),
            ("/Intake//2026/", "Intake/2026/Text messages"),
            ("Intake\\Scans", "Intake/Scans/Text messages"),
            ("../../other", "other/Text messages"),
            ("CON/files", "_CON/files/Text messages"),
            ("", "Hona/Text messages"),
            ("  /  / ", "Hona/Text messages"),
            ("a/b/c/d/e/f/g", "a/b/c/d/e/Text messages"),
            ("Tab\there", "Tab_here/Text messages"),
        ];
        for (typed, want) in cases {
            assert_eq!(
                folder_path(Some(typed), Source::Sms),
                *want,
                "for {typed:?}"
            );
        }
    }

    #[test]
    fn the_document_path_ends_with_its_safe_name() {
        let name = SafeFileName::new("../x.pdf");
        assert_eq!(
            document_path(&folder_path(None, Source::Form), &name),
            "Hona/Form answers/_x.pdf"
        );
    }
}

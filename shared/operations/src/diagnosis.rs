//! Every machine-readable reason the ledger records, in plain words with what to do
//! about it: the diagnosis behind the status page and the CLI. The words live with the
//! reasons themselves ([`Reason::explain`], an exhaustive match in the domain), so a new
//! reason cannot be added without them; this is their shape on the status page.

use hona_domain::Reason;
use serde::Serialize;

/// A reason in the firm's words, and the remedy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// As recorded, e.g. `case_not_found`.
    pub kind: Reason,
    pub reason: &'static str,
    pub remedy: &'static str,
}

/// Plain reason and remedy for a recorded reason (a skip reason, a failure, a remark).
pub fn diagnose(kind: &Reason) -> Diagnosis {
    let explained = kind.explain();
    Diagnosis {
        kind: kind.clone(),
        reason: explained.reason,
        remedy: explained.remedy,
    }
}

/// "Documents not appearing": a file with no ledger row never came through Hona.
pub fn not_sent_through_hona() -> Diagnosis {
    diagnose(&Reason::NotSentThroughHona)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnosis_is_the_reasons_own_words() {
        for kind in Reason::known() {
            let d = diagnose(&kind);
            assert_eq!(d.reason, kind.explain().reason);
            assert_eq!(d.remedy, kind.explain().remedy);
            assert_eq!(d.kind, kind);
        }
        let generic = diagnose(&Reason::parse("something_new_and_strange"));
        assert_eq!(generic.kind.as_str(), "something_new_and_strange");
        assert!(
            diagnose(&Reason::MyCaseUnavailable)
                .remedy
                .contains("dead-letter")
        );
        assert!(
            diagnose(&Reason::ReconnectNeeded)
                .remedy
                .contains("connect MyCase again")
        );
        let note = not_sent_through_hona();
        assert_eq!(note.kind.as_str(), "not_sent_through_hona");
        assert!(note.reason.contains("never sent through Hona"));
    }
}

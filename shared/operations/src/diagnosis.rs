//! Every machine-readable reason the ledger records, in plain words with what to do
//! about it: the vocabulary behind the status page and the CLI. One place, so a new
//! push type's reasons are added here once and read the same everywhere.

use serde::Serialize;

/// A reason in the firm's words, and the remedy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// As recorded, e.g. `case_not_found`.
    pub kind: String,
    pub reason: &'static str,
    pub remedy: &'static str,
}

/// Plain reason and remedy for a recorded kind (a skip reason, a failure kind, a remark).
pub fn diagnose(kind: &str) -> Diagnosis {
    let (reason, remedy) = explain(kind);
    Diagnosis {
        kind: kind.to_owned(),
        reason,
        remedy,
    }
}

fn explain(kind: &str) -> (&'static str, &'static str) {
    match kind {
        // Every push type.
        "integration_inactive" => (
            "The integration was inactive, so Hona recorded the event and sent nothing to MyCase.",
            "Activate the integration, then replay its skipped events (admin API or `hona-ops skipped replay`).",
        ),
        "unknown_integration" => (
            "The event names an integration Hona has no record of.",
            "Connect MyCase for this firm (start the connect flow), then replay the dead-letter queue.",
        ),
        "org_mismatch" => (
            "The event's firm does not own this integration, so nothing was sent (one firm's data never reaches another's MyCase).",
            "Check which integration Hona's settings use for this firm; fix it and re-send the event.",
        ),
        "reconnect_needed" => (
            "MyCase no longer accepts this integration's tokens (the grant was revoked or expired).",
            "Have a firm admin with MyCase's \"Manage your firm's preferences\" permission connect MyCase again, then replay.",
        ),
        "forbidden" | "mycase_rejected_403" => (
            "MyCase refused: the connected MyCase user or the app lacks a permission.",
            "Reconnect MyCase as a user with the needed permission, or ask MyCase support about the app's scopes.",
        ),
        "not_found" | "mycase_rejected_404" => (
            "MyCase has no such record, or the connected account cannot see it.",
            "Check the record still exists in MyCase and the integration is connected to the right firm; then replay.",
        ),
        "case_not_found" => (
            "The MyCase case linked to this Hona project no longer exists (deleted or merged).",
            "Re-link the Hona project to the right MyCase case, then replay the event from the dead-letter queue.",
        ),
        "missing_case" => (
            "The Hona project is not linked to a MyCase case, so there is nowhere to log it.",
            "Link the project to its MyCase case in Hona, then replay the event.",
        ),
        "invalid_json" | "unknown_type" | "unsupported_type" | "missing_field"
        | "invalid_field" => (
            "Hona sent an event this bundle cannot read (bad input); it was set aside with its reason.",
            "A Hona engineer should fix the sender; the event is in the dead-letter queue with its reason and can be replayed once fixed.",
        ),
        // Documents.
        "object_missing" => (
            "The file was no longer in Hona's storage when it was to be uploaded.",
            "Ask the client to send the file again (or restore the S3 object), then replay.",
        ),
        "too_large" => (
            "The file is larger than MyCase accepts.",
            "Share the file another way or split it; it cannot be uploaded as is.",
        ),
        "checksum_mismatch" => (
            "The stored file does not match the checksum Hona recorded, so it was not uploaded.",
            "Ask the client to send the file again; report it to Hona engineering if it repeats.",
        ),
        "object_not_owned" => (
            "The event names a file outside this firm's folder in Hona's storage, so it was refused and nothing was read or sent (one firm's event never moves another firm's file).",
            "A Hona engineer should check the sender: files go under {org_id}/{integration_id}/ in the documents bucket. Re-send the event with the right key.",
        ),
        "bucket_not_allowed" => (
            "The file is in a storage bucket this bundle may not read.",
            "A Hona engineer should check the bucket allow-list (configuration).",
        ),
        "upload_failed" | "mycase_upload_refused" => (
            "MyCase's file storage did not accept the upload.",
            "Replay the event; if it fails again, check MyCase's status and the file.",
        ),
        "upload_deadline" => (
            "The upload did not finish in the time a function may run.",
            "Replay the event; very large files may need a longer function timeout.",
        ),
        "s3_unavailable" => (
            "Hona's file storage could not be read at the time.",
            "Nothing to do: it is retried; replay it if it reached the dead-letter queue.",
        ),
        // Form field mapping.
        "no_mapped_answers" => (
            "None of the form's answers is mapped to a MyCase field, so nothing was updated.",
            "Map the form's questions to MyCase custom fields in Hona, then replay the skipped submission.",
        ),
        "value_does_not_fit" => (
            "An answer did not fit its MyCase field (too long, not an option, wrong format) and was left out.",
            "Pick a compatible MyCase field for that question, or add the missing list option in MyCase.",
        ),
        "field_deleted" => (
            "The mapped MyCase custom field was deleted, so the mapping is broken and nothing is written to it.",
            "Re-map the question to an existing compatible MyCase field in Hona.",
        ),
        "field_retyped" | "not_a_case_field" | "question_retyped" => (
            "The mapped MyCase field (or the form question) changed type, so the mapping no longer fits and nothing is written to it.",
            "Re-map the question to a compatible MyCase case field in Hona.",
        ),
        "option_gone" => (
            "A choice is mapped to a dropdown option that no longer exists in MyCase.",
            "Add the option back in MyCase or re-map the choice in Hona.",
        ),
        "no_answer_written" => (
            "None of the submission's mapped answers could be written (broken mappings, or values that do not fit), so the case was not updated.",
            "Fix the mappings the reason names in Hona, then replay the submission.",
        ),
        "custom_field_refused" => (
            "MyCase refused a custom-field value even after the field list was read again.",
            "Check the mapped field in MyCase and the mapping in Hona, then replay.",
        ),
        "mapping_broken" => (
            "The mapped MyCase field was deleted or changed type, so the mapping is broken and nothing is written to it.",
            "Re-map the question to an existing compatible MyCase field in Hona.",
        ),
        // Lead conversion.
        "no_lead_automation" => (
            "Lead conversion is not set up for this integration, so leads are not converted.",
            "Set lead automation to automatic or manual in the integration's settings, then replay the skipped leads.",
        ),
        "lead_automation_manual" => (
            "Lead conversion is manual: captured leads wait for staff to request conversion.",
            "Request conversion from Hona for this lead, or switch lead automation to automatic.",
        ),
        "not_deduplicated" => (
            "The lead had no email or phone, so Hona could not check for an existing MyCase client before creating one.",
            "Check MyCase for a duplicate client and merge if needed; capture an email or phone next time.",
        ),
        "invalid_lead" => (
            "The lead lacks what MyCase needs for a client (a name), so it was not converted.",
            "Complete the lead's details in Hona, then request conversion again.",
        ),
        // Nightly sync.
        "connection_failed" => (
            "MyCase could not be reached with this integration's tokens during the nightly check.",
            "Nothing to do if it passes next night; if it repeats, reconnect MyCase.",
        ),
        k if k.starts_with("mycase_rejected_422") => (
            "MyCase refused the data as invalid.",
            "Look at the failure detail in the ledger, correct the record in Hona, then replay.",
        ),
        k if k.starts_with("mycase_") || k.ends_with("_unavailable") => (
            "MyCase or a Hona store was unavailable or slow; the event was retried.",
            "Nothing to do unless it reached the dead-letter queue: then replay it.",
        ),
        _ => (
            "The event could not be pushed for a reason this page does not describe yet.",
            "Read the failure detail in the ledger; replay once the cause is fixed, or ask Hona engineering.",
        ),
    }
}

/// "Documents not appearing": a file with no ledger row never came through Hona.
pub fn not_sent_through_hona() -> Diagnosis {
    Diagnosis {
        kind: "not_sent_through_hona".into(),
        reason: "Hona has no record of this event: it was never sent through Hona (added in MyCase directly, or not emitted by Hona).",
        remedy: "Check the file or message was sent to the Hona project linked to this integration; re-send it from Hona if it should have been.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_reason_has_its_own_words() {
        let generic = diagnose("something_new_and_strange");
        let known = [
            "integration_inactive",
            "unknown_integration",
            "org_mismatch",
            "reconnect_needed",
            "not_found",
            "case_not_found",
            "missing_case",
            "invalid_json",
            "unknown_type",
            "unsupported_type",
            "missing_field",
            "invalid_field",
            "object_missing",
            "too_large",
            "checksum_mismatch",
            "bucket_not_allowed",
            "object_not_owned",
            "upload_failed",
            "upload_deadline",
            "s3_unavailable",
            "no_mapped_answers",
            "value_does_not_fit",
            "mapping_broken",
            "no_answer_written",
            "custom_field_refused",
            "no_lead_automation",
            "lead_automation_manual",
            "not_deduplicated",
            "invalid_lead",
        ];
        for kind in known {
            let d = diagnose(kind);
            assert_ne!(
                d.reason, generic.reason,
                "{kind} falls to the generic reason"
            );
            assert!(!d.remedy.is_empty());
            assert_eq!(d.kind, kind);
        }
        assert!(
            diagnose("mycase_unavailable")
                .remedy
                .contains("dead-letter")
        );
        assert!(
            diagnose("reconnect_needed")
                .remedy
                .contains("connect MyCase again")
        );
    }
}

//! Every reason an event is skipped, failed, retried or remarked on, as one enum: the
//! vocabulary the ledger, the dead-letter queue, the status page and the HTTP APIs share.
//!
//! Each reason has one spelling (snake_case, the one stored ledger rows and DLQ message
//! attributes already carry), written once beside its variant. A reason this code does
//! not know (an old row, a newer deployment's) reads as [`Reason::Other`] and writes back
//! unchanged, so nothing stored is ever lost or respelled.
//!
//! What a reason means and what to do about it is [`Reason::explain`]: an exhaustive match,
//! so a new variant does not compile until it has its words.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::str::FromStr;
use strum::IntoEnumIterator;

/// Why an event did not simply land (or what is worth knowing about one that did).
/// Machine-readable and stable; never personal data.
#[non_exhaustive]
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Hash,
    strum::EnumString,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum Reason {
    // -- Every push type: the gate and the pipeline's own bookkeeping.
    IntegrationInactive,
    UnknownIntegration,
    OrgMismatch,
    /// Another invocation holds the event's idempotency claim.
    InProgressElsewhere,
    /// The event was never sent through Hona (status page: documents not appearing).
    NotSentThroughHona,

    // -- Bad input (see [`crate::event::BadInputReason`]).
    InvalidJson,
    UnknownType,
    UnsupportedType,
    MissingField,
    InvalidField,

    // -- MyCase, in the domain's words.
    ReconnectNeeded,
    #[strum(to_string = "forbidden", serialize = "mycase_rejected_403")]
    Forbidden,
    #[strum(to_string = "not_found", serialize = "mycase_rejected_404")]
    NotFound,
    CaseNotFound,
    MissingCase,
    InvalidStaff,
    /// `POST /v1/clients` refused: the email belongs to another client.
    DuplicateEmail,
    ConnectionFailed,
    /// MyCase no longer honours a saved page token (the client index restarts its build).
    PageTokenExpired,

    // -- MyCase, as the client reported it (`mycase_` and the client's error kind).
    #[strum(serialize = "mycase_rejected_400")]
    MyCaseRejected400,
    #[strum(serialize = "mycase_rejected_409")]
    MyCaseRejected409,
    #[strum(serialize = "mycase_rejected_413")]
    MyCaseRejected413,
    #[strum(serialize = "mycase_rejected_422")]
    MyCaseRejected422,
    /// Refused with another 4xx status.
    #[strum(serialize = "mycase_rejected")]
    MyCaseRejected,
    #[strum(serialize = "mycase_unavailable")]
    MyCaseUnavailable,
    #[strum(serialize = "mycase_deadline_reached")]
    MyCaseDeadlineReached,
    #[strum(serialize = "mycase_decode")]
    MyCaseDecode,
    #[strum(serialize = "mycase_token_store")]
    MyCaseTokenStore,
    #[strum(serialize = "mycase_upload_rejected")]
    MyCaseUploadRejected,

    // -- Communications (2-Way Messages, Notifications).
    ThreadGone,
    ThreadBeingCreated,

    // -- Documents.
    ObjectMissing,
    TooLarge,
    ChecksumMismatch,
    ObjectNotOwned,
    BucketNotAllowed,
    /// `mycase_upload_refused` is an older spelling of the same failure.
    #[strum(to_string = "upload_failed", serialize = "mycase_upload_refused")]
    UploadFailed,
    UploadDeadline,

    // -- Form field mapping.
    NoMappedAnswers,
    BlankAnswers,
    ValueDoesNotFit,
    WriteNotVisible,
    FieldDeleted,
    FieldRetyped,
    NotACaseField,
    QuestionRetyped,
    OptionGone,
    MappingBroken,
    /// None of a submission's mapped answers could be written: nothing landed.
    NoAnswerWritten,
    /// MyCase answered a custom-field write with a 422 naming the field.
    CustomFieldRefused,

    // -- Lead conversion.
    NoLeadAutomation,
    LeadAutomationManual,
    NotDeduplicated,
    InvalidLead,
    LeadBeingConverted,
    NameFallback,
    AlreadyConverted,
    LinkedExistingClient,

    // -- A store did not answer (`{store}_unavailable`, see [`crate::StoreError`]).
    #[strum(serialize = "s3_unavailable")]
    S3Unavailable,
    OauthClientUnavailable,
    /// The pipeline's own name for the integration store when it gates an event.
    IntegrationStoreUnavailable,
    /// The pipeline's own name for the idempotency store when it claims an event.
    IdempotencyStoreUnavailable,
    IntegrationsUnavailable,
    IdempotencyUnavailable,
    LedgerUnavailable,
    LeadsUnavailable,
    ThreadsUnavailable,
    UploadsUnavailable,
    SecretsUnavailable,
    ConnectStatesUnavailable,
    LeasesUnavailable,
    MappingsUnavailable,
    DeadLetterQueueUnavailable,
    QueuesUnavailable,
    /// An HTTP API's store, unnamed.
    StoreUnavailable,

    /// A reason this code does not know: read from an older or newer row, kept and
    /// written back exactly as it was.
    #[strum(default)]
    Other(String),
}

/// What a reason means in the firm's words, and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    pub reason: &'static str,
    pub remedy: &'static str,
}

const fn says(reason: &'static str, remedy: &'static str) -> Explanation {
    Explanation { reason, remedy }
}

impl Reason {
    /// Every reason this code knows (every variant but [`Reason::Other`]).
    pub fn known() -> impl Iterator<Item = Reason> {
        Reason::iter().filter(|r| !matches!(r, Reason::Other(_)))
    }

    /// Reads a stored spelling. Infallible: one this code does not know is
    /// [`Reason::Other`], kept as it was.
    pub fn parse(raw: &str) -> Reason {
        Reason::from_str(raw).unwrap_or_else(|_| Reason::Other(raw.to_owned()))
    }

    /// The stored spelling, e.g. `case_not_found`.
    pub fn as_str(&self) -> &str {
        match self {
            Reason::Other(raw) => raw,
            known => known.into(),
        }
    }

    /// Whether trying again cannot help, as this reason usually is. A [`crate::PushError`]
    /// carries its own flag, which is the one the pipeline follows.
    pub fn is_permanent(&self) -> bool {
        use Reason::*;
        !matches!(
            self,
            InProgressElsewhere
                | MyCaseUnavailable
                | MyCaseDeadlineReached
                | MyCaseTokenStore
                | ThreadGone
                | ThreadBeingCreated
                | UploadFailed
                | UploadDeadline
                | WriteNotVisible
                | LeadBeingConverted
                | Other(_)
        ) && !self.is_unavailable()
    }

    /// A store or service that did not answer (always transient).
    fn is_unavailable(&self) -> bool {
        use Reason::*;
        matches!(
            self,
            S3Unavailable
                | OauthClientUnavailable
                | IntegrationStoreUnavailable
                | IdempotencyStoreUnavailable
                | IntegrationsUnavailable
                | IdempotencyUnavailable
                | LedgerUnavailable
                | LeadsUnavailable
                | ThreadsUnavailable
                | UploadsUnavailable
                | SecretsUnavailable
                | ConnectStatesUnavailable
                | LeasesUnavailable
                | MappingsUnavailable
                | DeadLetterQueueUnavailable
                | QueuesUnavailable
                | StoreUnavailable
        )
    }

    /// The HTTP status an API answers a failure with this reason: 409 when the firm must
    /// reconnect MyCase first, 502 when MyCase refused for good, 503 when trying again may
    /// help. The one mapping every HTTP edge uses (see also [`crate::PushError::http_status`]).
    pub fn http_status(&self) -> u16 {
        match self {
            Reason::ReconnectNeeded => 409,
            r if r.is_permanent() => 502,
            _ => 503,
        }
    }

    /// A reason from a store's name, as a [`crate::StoreError`] becomes one:
    /// `ledger` → `ledger_unavailable`.
    pub fn unavailable(store: &str) -> Reason {
        Reason::from(format!("{store}_unavailable"))
    }

    /// What the reason means and the remedy: the diagnosis behind the status page and the
    /// CLI. Exhaustive: a new reason does not compile until it has its words.
    pub fn explain(&self) -> Explanation {
        use Reason::*;
        match self {
            IntegrationInactive | UnknownIntegration | OrgMismatch | InProgressElsewhere
            | NotSentThroughHona => self.explain_gate(),
            InvalidJson | UnknownType | UnsupportedType | MissingField | InvalidField => says(
                "Hona sent an event this bundle cannot read (bad input); it was set aside with its reason.",
                "A Hona engineer should fix the sender; the event is in the dead-letter queue with its reason and can be replayed once fixed.",
            ),
            ReconnectNeeded | Forbidden | NotFound | CaseNotFound | MissingCase | InvalidStaff
            | DuplicateEmail | ConnectionFailed | PageTokenExpired | MyCaseRejected422 => {
                self.explain_mycase()
            }
            MyCaseRejected400
            | MyCaseRejected409
            | MyCaseRejected413
            | MyCaseRejected
            | MyCaseUnavailable
            | MyCaseDeadlineReached
            | MyCaseDecode
            | MyCaseTokenStore
            | MyCaseUploadRejected
            | OauthClientUnavailable
            | IntegrationStoreUnavailable
            | IdempotencyStoreUnavailable
            | IntegrationsUnavailable
            | IdempotencyUnavailable
            | LedgerUnavailable
            | LeadsUnavailable
            | ThreadsUnavailable
            | UploadsUnavailable
            | SecretsUnavailable
            | ConnectStatesUnavailable
            | LeasesUnavailable
            | MappingsUnavailable
            | DeadLetterQueueUnavailable
            | QueuesUnavailable
            | StoreUnavailable => says(
                "MyCase or a Hona store was unavailable or slow; the event was retried.",
                "Nothing to do unless it reached the dead-letter queue: then replay it.",
            ),
            ThreadGone | ThreadBeingCreated => self.explain_communications(),
            ObjectMissing | TooLarge | ChecksumMismatch | ObjectNotOwned | BucketNotAllowed
            | UploadFailed | UploadDeadline | S3Unavailable => self.explain_documents(),
            NoMappedAnswers | BlankAnswers | ValueDoesNotFit | WriteNotVisible | FieldDeleted
            | FieldRetyped | NotACaseField | QuestionRetyped | OptionGone | MappingBroken
            | NoAnswerWritten | CustomFieldRefused => self.explain_forms(),
            NoLeadAutomation | LeadAutomationManual | NotDeduplicated | InvalidLead
            | LeadBeingConverted | NameFallback | AlreadyConverted | LinkedExistingClient => {
                self.explain_leads()
            }
            Other(_) => says(
                "The event could not be pushed for a reason this page does not describe yet.",
                "Read the failure detail in the ledger; replay once the cause is fixed, or ask Hona engineering.",
            ),
        }
    }

    fn explain_gate(&self) -> Explanation {
        match self {
            Reason::IntegrationInactive => says(
                "The integration was inactive, so Hona recorded the event and sent nothing to MyCase.",
                "Activate the integration, then replay its skipped events (admin API or `hona-ops skipped replay`).",
            ),
            Reason::UnknownIntegration => says(
                "The event names an integration Hona has no record of.",
                "Connect MyCase for this firm (start the connect flow), then replay the dead-letter queue.",
            ),
            Reason::OrgMismatch => says(
                "The event's firm does not own this integration, so nothing was sent (one firm's data never reaches another's MyCase).",
                "Check which integration Hona's settings use for this firm; fix it and re-send the event.",
            ),
            Reason::InProgressElsewhere => says(
                "Another delivery of the same event was being pushed at the time, so this one waited.",
                "Nothing to do: the event is retried and lands once.",
            ),
            _ => says(
                "Hona has no record of this event: it was never sent through Hona (added in MyCase directly, or not emitted by Hona).",
                "Check the file or message was sent to the Hona project linked to this integration; re-send it from Hona if it should have been.",
            ),
        }
    }

    fn explain_mycase(&self) -> Explanation {
        match self {
            Reason::ReconnectNeeded => says(
                "MyCase no longer accepts this integration's tokens (the grant was revoked or expired).",
                "Have a firm admin with MyCase's \"Manage your firm's preferences\" permission connect MyCase again, then replay.",
            ),
            Reason::Forbidden => says(
                "MyCase refused: the connected MyCase user or the app lacks a permission.",
                "Reconnect MyCase as a user with the needed permission, or ask MyCase support about the app's scopes.",
            ),
            Reason::NotFound => says(
                "MyCase has no such record, or the connected account cannot see it.",
                "Check the record still exists in MyCase and the integration is connected to the right firm; then replay.",
            ),
            Reason::CaseNotFound => says(
                "The MyCase case linked to this Hona project no longer exists (deleted or merged).",
                "Re-link the Hona project to the right MyCase case, then replay the event from the dead-letter queue.",
            ),
            Reason::MissingCase => says(
                "The Hona project is not linked to a MyCase case, so there is nowhere to log it.",
                "Link the project to its MyCase case in Hona, then replay the event.",
            ),
            Reason::InvalidStaff => says(
                "MyCase did not say which staff member the connected account is.",
                "Reconnect MyCase as a staff user of the firm, then replay.",
            ),
            Reason::DuplicateEmail => says(
                "MyCase refused a new client because its email belongs to another client.",
                "Nothing to do if it lands on retry (Hona links that client); otherwise check MyCase for the client with that email.",
            ),
            Reason::PageTokenExpired => says(
                "MyCase no longer honoured a saved page of its client list, so the lead-matching index restarts its build.",
                "Nothing to do: the index rebuilds on its own; leads are matched directly meanwhile.",
            ),
            Reason::MyCaseRejected422 => says(
                "MyCase refused the data as invalid.",
                "Look at the failure detail in the ledger, correct the record in Hona, then replay.",
            ),
            _ => says(
                "MyCase could not be reached with this integration's tokens during the nightly check.",
                "Nothing to do if it passes next night; if it repeats, reconnect MyCase.",
            ),
        }
    }

    fn explain_communications(&self) -> Explanation {
        match self {
            Reason::ThreadGone => says(
                "The case's Communications thread no longer exists in MyCase; a new one is started.",
                "Nothing to do: the entry is retried into a new thread.",
            ),
            _ => says(
                "Another event was creating this case's Communications thread at the time.",
                "Nothing to do: the entry is retried into that thread.",
            ),
        }
    }

    fn explain_documents(&self) -> Explanation {
        match self {
            Reason::ObjectMissing => says(
                "The file was no longer in Hona's storage when it was to be uploaded.",
                "Ask the client to send the file again (or restore the S3 object), then replay.",
            ),
            Reason::TooLarge => says(
                "The file is larger than MyCase accepts.",
                "Share the file another way or split it; it cannot be uploaded as is.",
            ),
            Reason::ChecksumMismatch => says(
                "The stored file does not match the checksum Hona recorded, so it was not uploaded.",
                "Ask the client to send the file again; report it to Hona engineering if it repeats.",
            ),
            Reason::ObjectNotOwned => says(
                "The event names a file outside this firm's folder in Hona's storage, so it was refused and nothing was read or sent (one firm's event never moves another firm's file).",
                "A Hona engineer should check the sender: files go under {org_id}/{integration_id}/ in the documents bucket. Re-send the event with the right key.",
            ),
            Reason::BucketNotAllowed => says(
                "The file is in a storage bucket this bundle may not read.",
                "A Hona engineer should check the bucket allow-list (configuration).",
            ),
            Reason::UploadFailed => says(
                "MyCase's file storage did not accept the upload.",
                "Replay the event; if it fails again, check MyCase's status and the file.",
            ),
            Reason::UploadDeadline => says(
                "The upload did not finish in the time a function may run.",
                "Replay the event; very large files may need a longer function timeout.",
            ),
            _ => says(
                "Hona's file storage could not be read at the time.",
                "Nothing to do: it is retried; replay it if it reached the dead-letter queue.",
            ),
        }
    }

    fn explain_forms(&self) -> Explanation {
        let broken = says(
            "The mapped MyCase field (or the form question) changed type, so the mapping no longer fits and nothing is written to it.",
            "Re-map the question to a compatible MyCase case field in Hona.",
        );
        match self {
            Reason::NoMappedAnswers => says(
                "None of the form's answers is mapped to a MyCase field, so nothing was updated.",
                "Map the form's questions to MyCase custom fields in Hona, then replay the skipped submission.",
            ),
            Reason::BlankAnswers => says(
                "Every mapped answer of the submission was blank, so nothing was written (a blank answer never overwrites a value).",
                "Nothing to do, unless the answers should not have been blank: then re-send the submission.",
            ),
            Reason::ValueDoesNotFit => says(
                "An answer did not fit its MyCase field (too long, not an option, wrong format) and was left out.",
                "Pick a compatible MyCase field for that question, or add the missing list option in MyCase.",
            ),
            Reason::WriteNotVisible => says(
                "MyCase did not show the written field values when read back, so the submission is retried.",
                "Nothing to do unless it reached the dead-letter queue: then replay it.",
            ),
            Reason::FieldDeleted => says(
                "The mapped MyCase custom field was deleted, so the mapping is broken and nothing is written to it.",
                "Re-map the question to an existing compatible MyCase field in Hona.",
            ),
            Reason::OptionGone => says(
                "A choice is mapped to a dropdown option that no longer exists in MyCase.",
                "Add the option back in MyCase or re-map the choice in Hona.",
            ),
            Reason::NoAnswerWritten => says(
                "None of the submission's mapped answers could be written (broken mappings, or values that do not fit), so the case was not updated.",
                "Fix the mappings the reason names in Hona, then replay the submission.",
            ),
            Reason::CustomFieldRefused => says(
                "MyCase refused a custom-field value even after the field list was read again.",
                "Check the mapped field in MyCase and the mapping in Hona, then replay.",
            ),
            Reason::MappingBroken => says(
                "The mapped MyCase field was deleted or changed type, so the mapping is broken and nothing is written to it.",
                "Re-map the question to an existing compatible MyCase field in Hona.",
            ),
            _ => broken,
        }
    }

    fn explain_leads(&self) -> Explanation {
        match self {
            Reason::NoLeadAutomation => says(
                "Lead conversion is not set up for this integration, so leads are not converted.",
                "Set lead automation to automatic or manual in the integration's settings, then replay the skipped leads.",
            ),
            Reason::LeadAutomationManual => says(
                "Lead conversion is manual: captured leads wait for staff to request conversion.",
                "Request conversion from Hona for this lead, or switch lead automation to automatic.",
            ),
            Reason::NotDeduplicated => says(
                "The lead had no email or phone, so Hona could not check for an existing MyCase client before creating one.",
                "Check MyCase for a duplicate client and merge if needed; capture an email or phone next time.",
            ),
            Reason::InvalidLead => says(
                "The lead lacks what MyCase needs for a client (a name), so it was not converted.",
                "Complete the lead's details in Hona, then request conversion again.",
            ),
            Reason::LeadBeingConverted => says(
                "Another event was converting the same lead at the time.",
                "Nothing to do: the event is retried and links the same MyCase client.",
            ),
            Reason::NameFallback => says(
                "The lead lacked a first or last name, so a placeholder was used for the MyCase client.",
                "Correct the client's name in MyCase if needed.",
            ),
            Reason::AlreadyConverted => says(
                "The lead was converted earlier; the event linked the same MyCase client.",
                "Nothing to do.",
            ),
            _ => says(
                "The lead matched an existing MyCase client, so no client was created.",
                "Nothing to do; check the match in MyCase if it looks wrong.",
            ),
        }
    }
}

impl From<String> for Reason {
    fn from(raw: String) -> Self {
        match Reason::from_str(&raw) {
            Ok(reason) => reason,
            Err(_) => Reason::Other(raw),
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Reason::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_reason_round_trips_through_its_string_and_serde() {
        let mut count = 0;
        for reason in Reason::known() {
            let spelled = reason.to_string();
            assert_eq!(spelled, reason.as_str());
            assert_eq!(Reason::parse(&spelled), reason, "{spelled}");
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{spelled}\""));
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), reason);
            count += 1;
        }
        assert!(count > 50, "only {count} known reasons");
    }

    #[test]
    fn the_stored_spellings_are_the_old_ones() {
        for (reason, spelled) in [
            (Reason::IntegrationInactive, "integration_inactive"),
            (Reason::ReconnectNeeded, "reconnect_needed"),
            (Reason::MyCaseRejected422, "mycase_rejected_422"),
            (Reason::MyCaseUnavailable, "mycase_unavailable"),
            (Reason::S3Unavailable, "s3_unavailable"),
            (Reason::NotACaseField, "not_a_case_field"),
            (
                Reason::DeadLetterQueueUnavailable,
                "dead_letter_queue_unavailable",
            ),
            (Reason::OauthClientUnavailable, "oauth_client_unavailable"),
            (Reason::DuplicateEmail, "duplicate_email"),
        ] {
            assert_eq!(reason.as_str(), spelled);
        }
    }

    #[test]
    fn an_unknown_reason_reads_as_other_and_writes_back_unchanged() {
        let raw = "\"something_new_and_strange\"";
        let reason: Reason = serde_json::from_str(raw).unwrap();
        assert_eq!(reason, Reason::Other("something_new_and_strange".into()));
        assert_eq!(serde_json::to_string(&reason).unwrap(), raw);
        assert_eq!(reason.to_string(), "something_new_and_strange");
        assert_eq!(Reason::parse(""), Reason::Other(String::new()));
    }

    #[test]
    fn old_spellings_read_as_their_reason() {
        assert_eq!(Reason::parse("mycase_rejected_403"), Reason::Forbidden);
        assert_eq!(Reason::parse("mycase_rejected_404"), Reason::NotFound);
        assert_eq!(Reason::parse("mycase_upload_refused"), Reason::UploadFailed);
        assert_eq!(Reason::Forbidden.as_str(), "forbidden");
    }

    #[test]
    fn every_known_reason_has_its_own_words() {
        let generic = Reason::Other("x".into()).explain();
        for reason in Reason::known() {
            let e = reason.explain();
            assert_ne!(
                e.reason, generic.reason,
                "{reason} falls to the generic reason"
            );
            assert!(!e.reason.is_empty() && !e.remedy.is_empty(), "{reason}");
        }
        assert!(
            Reason::MyCaseUnavailable
                .explain()
                .remedy
                .contains("dead-letter")
        );
        assert!(
            Reason::ReconnectNeeded
                .explain()
                .remedy
                .contains("connect MyCase again")
        );
    }

    #[test]
    fn a_store_name_becomes_its_unavailable_reason() {
        for (store, reason) in [
            ("integrations", Reason::IntegrationsUnavailable),
            ("idempotency", Reason::IdempotencyUnavailable),
            ("ledger", Reason::LedgerUnavailable),
            ("leads", Reason::LeadsUnavailable),
            ("threads", Reason::ThreadsUnavailable),
            ("uploads", Reason::UploadsUnavailable),
            ("secrets", Reason::SecretsUnavailable),
            ("connect_states", Reason::ConnectStatesUnavailable),
            ("leases", Reason::LeasesUnavailable),
            ("mappings", Reason::MappingsUnavailable),
            ("dead_letter_queue", Reason::DeadLetterQueueUnavailable),
            ("queues", Reason::QueuesUnavailable),
        ] {
            assert_eq!(Reason::unavailable(store), reason);
            assert!(!reason.is_permanent());
            assert_eq!(reason.http_status(), 503);
        }
    }

    #[test]
    fn the_http_status_follows_the_reason() {
        assert_eq!(Reason::ReconnectNeeded.http_status(), 409);
        assert_eq!(Reason::NotFound.http_status(), 502);
        assert_eq!(Reason::MyCaseUnavailable.http_status(), 503);
        assert!(Reason::CaseNotFound.is_permanent());
        assert!(!Reason::UploadDeadline.is_permanent());
    }
}

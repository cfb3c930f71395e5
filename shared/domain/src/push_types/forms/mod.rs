//! Form Field Mapping (SPEC §3): a client's form answers update the mapped MyCase
//! custom fields of that one case.
//!
//! - [`question`]: the `form.submitted` event and its twelve question types;
//! - [`field`]: MyCase case fields and their seven types;
//! - [`compatibility`]: THE matrix — which question may go to which field;
//! - [`convert`]: an answer → the value its field takes, or why it does not fit;
//! - [`mapping`]: saved mappings, validated on save and re-checked before use;
//! - [`catalogue`]: the cached field catalogue and the nightly upkeep;
//! - [`push`]: the push type; [`ports`]: its two traits.

pub mod catalogue;
pub mod compatibility;
pub mod convert;
pub mod field;
pub mod mapping;
pub mod ports;
pub mod push;
pub mod question;

#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
#[cfg(test)]
mod push_tests;

pub use catalogue::{Catalogue, FormFieldUpkeep, RecheckReport};
pub use mapping::{Broken, Mapping, MappingRequest, MappingStatus, Refused};
pub use ports::{CaseFields, MappingStore};
pub use push::MapFormFields;
pub use question::{Answer, FormSubmitted, QuestionType};

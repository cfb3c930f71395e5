//! Lead Conversion: a lead captured by the chatbot or the voice AI agent becomes a
//! MyCase client contact, found or created, never twice (SPEC §4).
//!
//! - [`lead`]: the `data` of `lead.captured` and `lead.conversion_requested`.
//! - [`contact`]: what a new client gets from a lead, with the fallbacks for what it lacks.
//! - [`matching`]: find before create: by email, then by phone; never by name.
//! - [`index`]: the per-integration client index those matches are looked up in.
//! - [`once`]: one conversion per lead, whichever events ask for it and however many at once.
//! - [`convert`]: the push type: the automation mode, then find-or-create under the lead's claim.

pub mod contact;
pub mod convert;
pub mod index;
pub mod lead;
pub mod matching;
pub mod once;

pub use convert::LeadConversion;
pub use lead::{Lead, LeadSource};

#[cfg(test)]
mod tests;

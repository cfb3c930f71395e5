//! The five push types, one folder each. Each says which events it takes and how one
//! of them lands in MyCase; the [`crate::pipeline`] does the rest.

pub mod communications;
pub mod documents;
pub mod forms;
pub mod leads;

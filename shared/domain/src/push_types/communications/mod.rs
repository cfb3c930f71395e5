//! 2-Way Messages and Notifications: both land in the same place of a case — its
//! Communications thread (or, for firms that chose silent logging, its notes).
//!
//! The two push types differ only in how their event reads as an entry
//! ([`entry`]); where and how an entry lands is one piece of code ([`log`]).

pub mod entry;
pub mod log;
pub mod messages;
pub mod notifications;
pub mod thread;

pub use log::CommunicationsLog;
pub use messages::{MessageLogged, Messages};
pub use notifications::{NotificationSent, Notifications};

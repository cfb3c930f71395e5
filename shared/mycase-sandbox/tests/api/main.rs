//! End-to-end tests of the sandbox over real HTTP (one test binary, several modules).

mod client;
mod common;
mod documents;
mod faults;
mod oauth;
mod resources;

//! The parts of `hona-ops` other programs use too: the demo prints [`top`]'s view.

pub mod top;

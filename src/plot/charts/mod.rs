//! The charts, by the kind of result they are drawn from.

pub mod calibrate;
pub mod compare;
pub mod discover;
pub mod optimize;
pub mod run;
pub mod sensitivity;
pub mod sweep;

//! dana's one integration-test binary: a module per area, sharing `common`.
#![allow(dead_code)]

mod common;
mod content;
mod governance;
mod modeling;
mod quality;
mod scoring;
mod server;
mod store;

//! dana's one integration-test binary: a module per area, sharing `common`.
#![allow(dead_code)]

mod cli;
mod common;
mod quality;
mod ops;
mod content;
mod fuzz;
mod protocol;
mod protocol_concurrency;
mod scoring;
mod server;
mod store;

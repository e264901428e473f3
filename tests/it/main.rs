//! dana's one integration-test binary: a module per area, sharing `common`.
#![allow(dead_code)]

mod answers;
mod budget;
mod cli;
mod common;
mod content;
mod demo;
mod documents;
mod fuzz;
mod governance;
mod modeling;
mod ops;
mod protocol;
mod protocol_concurrency;
mod quality;
mod scoring;
mod security;
mod server;
mod store;

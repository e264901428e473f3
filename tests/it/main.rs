//! dana's one integration-test binary: a module per area, sharing `common`.
#![allow(dead_code)]

mod common;
mod quality;
mod ops;

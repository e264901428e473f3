//! Adversarial tests: the promises dana makes, attacked the way an agent that controls
//! its own client (and perhaps a shell) would.

mod availability;
mod live;
mod protocol;

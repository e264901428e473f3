//! The Data Engineering Protocol at run time: artifacts recorded per phase, gate
//! criteria evaluated against them, the gate state machine with human decisions
//! (elicitation, `InputRequiredResult` or `dana gate`), the hash-chained audit log and
//! the phase documents. The phases, criteria and documents themselves are data
//! (`playbooks/phases.yaml`, `templates/docs/`).

pub mod artifact;
pub mod audit;
pub mod criteria;
pub mod document;
pub mod gate;
pub mod review;
pub mod reviewer;

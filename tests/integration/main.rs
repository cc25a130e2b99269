//! One integration-test binary (faster to link than one per file) driving the
//! real `vault` executable in temporary directories. Each module owns one
//! capability; `util` is the harness.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod util;

mod agent_keys;
mod agents_run;
mod audit;
mod core;
mod day_two;
mod docs;
mod environments;
mod files;
mod format;
mod format2;
mod hardening;
mod import_export;
mod masking;
mod members;
mod pg_engine;
mod prompts;
mod regressions;
mod rename;
mod set_edit;
mod unlock;
mod watch;

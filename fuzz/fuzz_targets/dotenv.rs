//! Fuzz the .env parser (`src/dotenv.rs`) that `vault import` runs on files a
//! user did not write. Properties checked on every input:
//!
//! 1. `parse` never panics, whatever the bytes (the libFuzzer harness turns a
//!    panic into a crash report).
//! 2. Line numbers are sane: every entry and error points at a line that
//!    exists in the input, and errors come sorted.
//! 3. Every value the parser accepts survives `export` quoting: parsing
//!    `KEY=<quote_dotenv(value)>` gives back exactly that value, with no
//!    error (what `vault export | vault import` relies on).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../src/dotenv.rs"]
#[allow(dead_code)]
mod dotenv;

// The one module dotenv.rs asks (`crate::typed`), a leaf like itself.
#[path = "../../src/typed.rs"]
#[allow(dead_code)]
mod typed;

fuzz_target!(|data: &[u8]| {
    let parsed = dotenv::parse(data);

    // A line number can be at most one past the number of line feeds.
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    for e in &parsed.entries {
        assert!(e.line >= 1 && e.line <= lines, "entry line out of range");
    }
    for e in &parsed.errors {
        assert!(e.line >= 1 && e.line <= lines, "error line out of range");
    }
    assert!(
        parsed.errors.windows(2).all(|w| w[0].line <= w[1].line),
        "errors are not sorted by line"
    );

    for e in &parsed.entries {
        let file = format!("K={}\n", dotenv::quote_dotenv(&e.value));
        let again = dotenv::parse(file.as_bytes());
        assert!(
            again.errors.is_empty(),
            "a quoted value does not parse back"
        );
        assert_eq!(
            again.entries.len(),
            1,
            "a quoted value parses into {} entries",
            again.entries.len()
        );
        assert!(
            again.entries[0].value.as_str() == e.value.as_str(),
            "a quoted value parses back to different bytes"
        );
    }
});

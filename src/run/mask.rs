//! Streaming redaction of secret values in a command's output.
//!
//! `vault run` copies the child's stdout and stderr through a [`Stream`], which
//! replaces every occurrence of an injected secret value with
//! `<redacted:NAME>`. This module owns only the byte transformation: it does
//! no I/O, never prints or logs a value, and has no `Debug` that could show one.
//!
//! Two stages, each a leftmost-longest matcher, run one after the other:
//!
//! 1. **Exact.** Values byte for byte, as injected.
//! 2. **Decorated.** Programs decorate what they print: a logger colours
//!    characters inside a token, `grep --color` highlights a match inside
//!    it, a pretty printer hard-wraps a long one and indents the next line.
//!    This stage matches on a *normalised view* of the stream in which
//!    escape sequences (CSI such as SGR colours, and other `ESC` sequences),
//!    line breaks (`\r`, `\n`) and the spaces and tabs that follow a line
//!    break are transparent, and redacts the whole raw range from a match's
//!    first to its last byte, decorations inside included. Its patterns are
//!    the values normalised the same way and, for values of at least
//!    [`FRAGMENT_MIN_VALUE`] bytes, every window of [`FRAGMENT_LEN`] bytes
//!    (a *fragment*), grown as far as the value continues; so a long token
//!    printed cut or in pieces does not reach the output in recognisable
//!    parts. Labels are those of the value: `<redacted:NAME>`.
//!
//! The exact stage keeps the redaction of undecorated values exactly as it
//! always was (an escape-looking byte before a value cannot hide it).
//!
//! Guarantees, for any way the output is cut into chunks:
//!
//! - **Same as whole-text redaction.** The concatenated output of `push` calls
//!   and `finish` equals redacting the whole stream at once: in each stage,
//!   scan left to right, at each position replace the longest pattern that
//!   starts there (a fragment grown along its value), and continue after it.
//! - **No lag.** After each `push` only the tail that could still become part
//!   of a match is held back. A prompt such as `Password: ` is passed on at
//!   once. [`Stream::flush`] releases a held tail (the caller does so after a
//!   quiet moment); a value completed after that is no longer matched whole,
//!   but the fragment rule still redacts the rest of a long one.
//! - **Bounded memory.** The held-back tail is shorter than the longest value
//!   plus the decorations inside it, and at most [`MAX_HELD`] bytes past that
//!   (then it is released as at the end of the stream).
//! - **Binary safe.** Bytes that are not part of a value pass through unchanged.
//!
//! Values shorter than [`MIN_MASK_LEN`] bytes are not masked: they would hide
//! ordinary text.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use aho_corasick::{packed, AhoCorasick, Input, MatchKind, Span};

/// Values shorter than this many bytes are not masked (they would hide ordinary text).
pub const MIN_MASK_LEN: usize = 4;

/// Length of a fragment: a run of this many bytes of a long value is
/// redacted wherever it appears. 16 characters of a random token carry 64
/// bits or more (hex: 64, base64: 96), so they never occur by chance; in
/// natural text a 16-byte window is a phrase or a host name, which only
/// matches where the value's own words are printed.
pub const FRAGMENT_LEN: usize = 16;

/// Values at least this long (after normalisation) get the fragment rule:
/// API keys, JWTs, certificates. Shorter ones (passwords, PINs, short IDs)
/// are matched whole only, so their pieces cannot hide ordinary words.
pub const FRAGMENT_MIN_VALUE: usize = 32;

/// A held tail longer than this (decorations after the start of a possible
/// match) is written out as if the stream ended there.
const MAX_HELD: usize = 64 * 1024;

/// The set of values to mask, compiled once; hands out one [`Stream`] per
/// output. Cheap to clone: the streams share it, so a supervisor can hand
/// its pumps a new one (more values) between two commands.
#[derive(Clone)]
pub struct Redactor {
    inner: Arc<Compiled>,
}

/// A redactor's engines.
struct Compiled {
    /// Values exactly as given.
    exact: Engine,
    /// Normalised values and fragments, matched on the normalised stream;
    /// built when the first output arrives (a command that prints nothing
    /// does not pay for it).
    decorated: OnceLock<Engine>,
    /// Whether long values get the fragment rule.
    fragments: bool,
}

/// Where a pattern came from.
#[derive(Clone, Copy)]
struct Origin {
    /// Index of the value's `<redacted:NAME>`.
    label: usize,
    /// A fragment: (index in `Engine::sources`, offset in that value).
    fragment: Option<(usize, usize)>,
}

/// One leftmost-longest matcher over a set of patterns.
struct Engine {
    /// Distinct patterns, sorted bytewise (the prefix test relies on the order).
    /// Index `i` is also the matcher's pattern id `i`.
    patterns: Vec<Box<[u8]>>,
    origins: Vec<Origin>,
    /// `<redacted:NAME>` per label.
    replacements: Vec<Box<[u8]>>,
    /// Normalised long values, along which a fragment match grows.
    sources: Vec<Box<[u8]>>,
    /// Leftmost-longest matcher over the whole (non-fragment) patterns, or
    /// over all of them when `windows` is `None`.
    matcher: Matcher,
    /// Matcher id -> index in `patterns`, when the matcher covers a subset.
    matcher_ids: Option<Vec<usize>>,
    /// Finds fragments (all of length [`FRAGMENT_LEN`]) by rolling hash.
    windows: Option<Windows>,
    /// `first_bytes[b]`: some pattern starts with byte `b` (cheap reject for the prefix test).
    first_bytes: [bool; 256],
    /// Bit `256 * a + b` set: some pattern starts with bytes `a b` (the next cheap reject).
    first_pairs: Vec<u64>,
    /// Length of the longest pattern (0 when there is none).
    max_len: usize,
    /// Match on the normalised view (decorations transparent).
    normalise: bool,
}

/// How `Engine::find` locates patterns; all give leftmost-longest matches.
enum Matcher {
    /// SIMD "Teddy" search: several GB/s, up to 128 patterns on `x86_64`/`aarch64`.
    Packed(packed::Searcher),
    /// Aho-Corasick automaton: any number of patterns, any platform, slower.
    Automaton(AhoCorasick),
    /// Exact naive scan: no patterns, or the automaton could not be built
    /// (only for absurdly large input).
    Slow,
}

impl Matcher {
    fn build(patterns: &[Box<[u8]>]) -> Matcher {
        if patterns.is_empty() {
            return Matcher::Slow;
        }
        // Measured with 100 values of 20-100 bytes: Teddy runs at about
        // 4 GB/s and builds in 0.1 ms; the automaton (no prefilter applies to
        // that many values) runs at 0.2-0.5 GB/s and its DFA takes ~5 ms.
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostLongest)
            .heuristic_pattern_limits(false)
            .builder()
            .extend(patterns)
            .build();
        if let Some(searcher) = packed {
            return Matcher::Packed(searcher);
        }
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns)
            .map_or(Matcher::Slow, Matcher::Automaton)
    }
}

/// Redaction state for one output stream: each stage's held-back tail.
pub struct Stream {
    redactor: Arc<Compiled>,
    exact: Stage,
    /// Made with the first output.
    decorated: Option<Stage>,
    /// The exact stage's output on its way into the decorated stage.
    between: Vec<u8>,
}

impl Redactor {
    /// `secrets`: (name, value) pairs. Values shorter than `MIN_MASK_LEN` are ignored; duplicate values: any one name.
    pub fn new(secrets: &[(&str, &[u8])]) -> Redactor {
        Redactor::build(secrets, true)
    }

    fn build(secrets: &[(&str, &[u8])], fragments: bool) -> Redactor {
        let mut pairs: Vec<(&[u8], &str)> = secrets
            .iter()
            .filter(|(_, value)| value.len() >= MIN_MASK_LEN)
            .map(|&(name, value)| (value, name))
            .collect();
        // Stable sort + dedup keeps the first name given for a repeated value.
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        pairs.dedup_by(|later, earlier| later.0 == earlier.0);

        let replacements: Vec<Box<[u8]>> = pairs
            .iter()
            .map(|(_, name)| format!("<redacted:{name}>").into_bytes().into_boxed_slice())
            .collect();
        let exact: Vec<(Box<[u8]>, Origin)> = pairs
            .iter()
            .enumerate()
            .map(|(label, (value, _))| {
                let origin = Origin {
                    label,
                    fragment: None,
                };
                (Box::<[u8]>::from(*value), origin)
            })
            .collect();
        Redactor {
            inner: Arc::new(Compiled {
                exact: Engine::build(exact, replacements, Vec::new(), false),
                decorated: OnceLock::new(),
                fragments,
            }),
        }
    }

    /// True when there is nothing to mask (the caller may then skip masking entirely).
    pub fn is_empty(&self) -> bool {
        self.inner.exact.patterns.is_empty()
    }

    /// A new independent stream state (one per output stream: stdout and stderr each get one).
    pub fn stream(&self) -> Stream {
        Stream {
            redactor: Arc::clone(&self.inner),
            exact: Stage::new(),
            decorated: None,
            between: Vec::new(),
        }
    }
}

impl Compiled {
    /// The decorated stage's engine, built on first use from the values.
    fn decorated(&self) -> &Engine {
        self.decorated.get_or_init(|| self.build_decorated())
    }

    fn build_decorated(&self) -> Engine {
        // Whole normalised values first, so that a fragment equal to a
        // (shorter) whole value is dropped as the duplicate.
        let mut decorated = Vec::new();
        let mut fragment_list = Vec::new();
        let mut sources = Vec::new();
        for (value, origin) in self.exact.patterns.iter().zip(&self.exact.origins) {
            let label = origin.label;
            let norm = normalised(value);
            if norm.len() < MIN_MASK_LEN {
                continue;
            }
            if self.fragments && norm.len() >= FRAGMENT_MIN_VALUE {
                let source = sources.len();
                for (offset, window) in norm.windows(FRAGMENT_LEN).enumerate() {
                    let origin = Origin {
                        label,
                        fragment: Some((source, offset)),
                    };
                    fragment_list.push((Box::<[u8]>::from(window), origin));
                }
                sources.push(Box::<[u8]>::from(norm.as_slice()));
                // A long value is found by its first fragment, grown to its
                // end: the same redaction without a second search for it.
                continue;
            }
            let origin = Origin {
                label,
                fragment: None,
            };
            decorated.push((norm.into_boxed_slice(), origin));
        }
        decorated.extend(fragment_list);
        Engine::build(decorated, self.exact.replacements.clone(), sources, true)
    }
}

impl Engine {
    fn build(
        mut entries: Vec<(Box<[u8]>, Origin)>,
        replacements: Vec<Box<[u8]>>,
        sources: Vec<Box<[u8]>>,
        normalise: bool,
    ) -> Engine {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);

        let mut first_bytes = [false; 256];
        let mut first_pairs = vec![0u64; 65536 / 64];
        let mut max_len = 0;
        let mut patterns = Vec::with_capacity(entries.len());
        let mut origins = Vec::with_capacity(entries.len());
        for (pattern, origin) in entries {
            if let Some(&b) = pattern.first() {
                if let Some(slot) = first_bytes.get_mut(usize::from(b)) {
                    *slot = true;
                }
            }
            if let [a, b, ..] = *pattern {
                let pair = pair_index(a, b);
                if let Some(word) = first_pairs.get_mut(pair / 64) {
                    *word |= 1 << (pair % 64);
                }
            }
            max_len = max_len.max(pattern.len());
            patterns.push(pattern);
            origins.push(origin);
        }
        // Thousands of equal-length fragments would push the matcher off
        // its SIMD path and slow it tenfold; a rolling hash finds them at
        // the cost of a table lookup per byte, and only inside runs of
        // bytes that occur in long values.
        let (matcher, matcher_ids, windows) = if sources.is_empty() {
            (Matcher::build(&patterns), None, None)
        } else {
            let whole: Vec<usize> = (0..patterns.len())
                .filter(|&i| origins.get(i).is_some_and(|o| o.fragment.is_none()))
                .collect();
            let subset: Vec<Box<[u8]>> = whole
                .iter()
                .filter_map(|&i| patterns.get(i).cloned())
                .collect();
            let windows = Windows::new(&patterns, &origins);
            (Matcher::build(&subset), Some(whole), Some(windows))
        };
        Engine {
            patterns,
            origins,
            replacements,
            sources,
            matcher,
            matcher_ids,
            windows,
            first_bytes,
            first_pairs,
            max_len,
            normalise,
        }
    }

    /// The leftmost-longest match in `text` starting at or after `from`, as
    /// (start, end, pattern index). Only matches lying wholly inside `text` count.
    fn find(&self, text: &[u8], from: usize) -> Option<(usize, usize, usize)> {
        if from >= text.len() {
            return None;
        }
        let whole = self.find_whole(text, from);
        let Some(windows) = &self.windows else {
            return whole;
        };
        // A fragment wins if it starts first, or at the same place and is longer.
        let until = whole.map_or(text.len(), |(start, _, _)| start + 1);
        match (whole, windows.find(&self.patterns, text, from, until)) {
            (Some(w), Some(f)) if f.0 < w.0 || (f.0 == w.0 && f.1 > w.1) => Some(f),
            (None, f) => f,
            (w, _) => w,
        }
    }

    /// `find` among the patterns the matcher covers.
    fn find_whole(&self, text: &[u8], from: usize) -> Option<(usize, usize, usize)> {
        if self.matcher_ids.as_ref().is_some_and(Vec::is_empty) {
            return None;
        }
        let found = match &self.matcher {
            Matcher::Packed(searcher) => searcher
                .find_in(text, Span::from(from..text.len()))
                .map(|m| (m.start(), m.end(), m.pattern().as_usize())),
            Matcher::Automaton(ac) => match ac.try_find(Input::new(text).range(from..)) {
                Ok(found) => found.map(|m| (m.start(), m.end(), m.pattern().as_usize())),
                Err(_) => self.find_slow(text, from),
            },
            Matcher::Slow => return self.find_slow(text, from),
        };
        match &self.matcher_ids {
            None => found,
            Some(ids) => found.and_then(|(s, e, i)| ids.get(i).map(|&id| (s, e, id))),
        }
    }

    /// Exact but slow fallback for `find`, used only if the automaton is missing.
    fn find_slow(&self, text: &[u8], from: usize) -> Option<(usize, usize, usize)> {
        (from..text.len()).find_map(|start| {
            let rest = bytes(text, start..text.len());
            self.patterns
                .iter()
                .enumerate()
                .filter(|(_, v)| rest.starts_with(v))
                .max_by_key(|(_, v)| v.len())
                .map(|(i, v)| (start, start + v.len(), i))
        })
    }

    /// True when `x` is a proper prefix of some pattern, i.e. more input could
    /// complete a match (or a longer one) that starts with `x`.
    fn extends_to_value(&self, x: &[u8]) -> bool {
        // Most positions fail on the first byte or two; only the rest pay
        // for the binary search.
        let plausible = match *x {
            [] => false,
            [a] => self
                .first_bytes
                .get(usize::from(a))
                .copied()
                .unwrap_or(false),
            [a, b, ..] => {
                let pair = pair_index(a, b);
                self.first_pairs
                    .get(pair / 64)
                    .is_some_and(|word| word & (1 << (pair % 64)) != 0)
            }
        };
        if !plausible {
            return false;
        }
        // Patterns starting with `x` are contiguous in sorted order, `x` itself
        // (if it is a pattern) first; so one of the first two decides.
        let at = self.patterns.partition_point(|v| v.as_ref() < x);
        self.patterns
            .iter()
            .skip(at)
            .take(2)
            .any(|v| v.len() > x.len() && v.starts_with(x))
    }

    /// First position `p >= from` where `text[p..]` is a proper prefix of a pattern.
    fn first_partial(&self, text: &[u8], from: usize) -> Option<usize> {
        let start = from.max(text.len().saturating_sub(self.max_len.saturating_sub(1)));
        (start..text.len()).find(|&p| self.extends_to_value(bytes(text, p..text.len())))
    }

    /// Where the match `start..end` of pattern `id` ends: a fragment grows
    /// as far as `text` goes on along its value. `None` when it reaches the
    /// end of what is known and the value goes on (more input decides).
    fn grow(
        &self,
        text: &[u8],
        start: usize,
        end: usize,
        id: usize,
        at_end: bool,
    ) -> Option<usize> {
        let Some((source, offset)) = self.origins.get(id).and_then(|o| o.fragment) else {
            return Some(end);
        };
        let value = self.sources.get(source).map_or(&[][..], |v| &v[..]);
        let ahead = bytes(value, offset + (end - start)..value.len());
        let rest = bytes(text, end..text.len());
        let same = ahead.iter().zip(rest).take_while(|(a, b)| a == b).count();
        if same == rest.len() && same < ahead.len() && !at_end {
            return None;
        }
        Some(end + same)
    }

    /// Redacts `text` (the normalised text known so far) into match
    /// `events` (start, end, pattern), stopping where the future could still
    /// change the result, unless `at_end`. Returns the position from which
    /// `text` must be held back (`text.len()` if none).
    fn scan(&self, text: &[u8], at_end: bool, events: &mut Vec<(usize, usize, usize)>) -> usize {
        // A partial match can only start in the last `max_len - 1` bytes;
        // matches before that are final without looking at the tail.
        let tail_start = text.len().saturating_sub(self.max_len.saturating_sub(1));
        let mut pos = 0;
        loop {
            let found = self.find(text, pos);
            let hold = match found {
                _ if at_end => None,
                Some((start, _, _)) if start < tail_start => None,
                _ => self.first_partial(text, pos),
            };
            // A match at or after a partial one is not final: the partial
            // one may complete, and the leftmost match wins.
            let decided = match (found, hold) {
                (Some((start, _, _)), Some(h)) if start >= h => None,
                (found, _) => found,
            };
            if let Some((start, end, id)) = decided {
                let Some(end) = self.grow(text, start, end, id, at_end) else {
                    return start;
                };
                events.push((start, end, id));
                pos = end;
                continue;
            }
            return hold.unwrap_or(text.len());
        }
    }

    fn replacement(&self, id: usize) -> &[u8] {
        self.origins
            .get(id)
            .and_then(|o| self.replacements.get(o.label))
            .map_or(&[][..], |r| &r[..])
    }
}

/// Finds fragment patterns (all [`FRAGMENT_LEN`] bytes long) with a
/// polynomial rolling hash over runs of bytes that occur in long values.
struct Windows {
    /// `in_values[b]`: byte `b` occurs in some fragment.
    in_values: [bool; 256],
    /// One bit per value of the hash's top 16 bits: a cheap first test.
    filter: Vec<u64>,
    /// (hash, pattern index), sorted.
    table: Vec<(u64, usize)>,
}

/// Rolling-hash base (odd, from the golden ratio).
const HASH_BASE: u64 = 0x9e37_79b9_7f4a_7c15;

impl Windows {
    fn new(patterns: &[Box<[u8]>], origins: &[Origin]) -> Windows {
        let mut in_values = [false; 256];
        let mut filter = vec![0u64; 1 << 10];
        let mut table = Vec::new();
        for (i, (p, o)) in patterns.iter().zip(origins).enumerate() {
            if o.fragment.is_none() {
                continue;
            }
            for &b in p.iter() {
                if let Some(slot) = in_values.get_mut(usize::from(b)) {
                    *slot = true;
                }
            }
            let h = p.iter().fold(0u64, |h, &b| {
                h.wrapping_mul(HASH_BASE).wrapping_add(u64::from(b))
            });
            set_bit(&mut filter, h);
            table.push((h, i));
        }
        table.sort_unstable();
        Windows {
            in_values,
            filter,
            table,
        }
    }

    /// The first fragment starting in `from..until`, as (start, end, pattern index).
    fn find(
        &self,
        patterns: &[Box<[u8]>],
        text: &[u8],
        from: usize,
        until: usize,
    ) -> Option<(usize, usize, usize)> {
        let f = FRAGMENT_LEN;
        let stop = text.len().min(until.saturating_add(f - 1));
        let text = bytes(text, 0..stop);
        let inside = |i: usize| text.get(i).is_some_and(|&b| self.in_values[usize::from(b)]);
        let out_factor = (1..f).fold(1u64, |p, _| p.wrapping_mul(HASH_BASE));
        // A window of `f` bytes all inside values: look at its last byte
        // first, so ordinary text is skipped `f` bytes at a time.
        let mut start = from;
        while start + f <= text.len() {
            if !inside(start + f - 1) {
                start += f;
                continue;
            }
            if let Some(k) = (start..start + f - 1).rev().find(|&k| !inside(k)) {
                start = k + 1;
                continue;
            }
            // Roll along the run from here.
            let mut h = bytes(text, start..start + f).iter().fold(0u64, |h, &b| {
                h.wrapping_mul(HASH_BASE).wrapping_add(u64::from(b))
            });
            loop {
                if let Some(id) = self.lookup(patterns, h, bytes(text, start..start + f)) {
                    return Some((start, start + f, id));
                }
                let next = start + f;
                if !inside(next) {
                    start = next + 1;
                    break;
                }
                let gone = text.get(start).copied().unwrap_or(0);
                let came = text.get(next).copied().unwrap_or(0);
                h = h
                    .wrapping_sub(u64::from(gone).wrapping_mul(out_factor))
                    .wrapping_mul(HASH_BASE)
                    .wrapping_add(u64::from(came));
                start += 1;
            }
        }
        None
    }

    /// The fragment pattern equal to `window`, whose hash is `h`.
    fn lookup(&self, patterns: &[Box<[u8]>], h: u64, window: &[u8]) -> Option<usize> {
        if !test_bit(&self.filter, h) {
            return None;
        }
        let at = self.table.partition_point(|&(x, _)| x < h);
        self.table
            .get(at..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&(x, _)| x == h)
            .find(|&&(_, id)| patterns.get(id).is_some_and(|p| p[..] == *window))
            .map(|&(_, id)| id)
    }
}

fn set_bit(bits: &mut [u64], h: u64) {
    let k = (h >> 48) as usize;
    if let Some(word) = bits.get_mut(k / 64) {
        *word |= 1 << (k % 64);
    }
}

fn test_bit(bits: &[u64], h: u64) -> bool {
    let k = (h >> 48) as usize;
    bits.get(k / 64)
        .is_some_and(|word| word & (1 << (k % 64)) != 0)
}

/// Which bytes of a stream are decoration, decided byte by byte as they
/// arrive (no look-ahead, so the same whatever the chunking): `ESC` and the
/// rest of its sequence (CSI `ESC [ params intermediates final`, or
/// `ESC intermediates final`), `\r` and `\n`, and spaces and tabs after a
/// line break. A byte that breaks off a sequence is ordinary.
#[derive(Clone, Copy)]
struct Lexer {
    esc: Esc,
    /// Only line breaks, spaces, tabs and escapes since the last line break
    /// (or the start): indentation is transparent here.
    line_start: bool,
}

#[derive(Clone, Copy)]
enum Esc {
    None,
    /// After `ESC`.
    Start,
    /// Inside `ESC [ ...`.
    Csi,
    /// After `ESC` and intermediate bytes.
    Intermediate,
}

impl Lexer {
    fn new() -> Lexer {
        Lexer {
            esc: Esc::None,
            line_start: true,
        }
    }

    /// No sequence open and not at a line start: only `ESC`, `\r`, `\n` change that.
    fn plain(&self) -> bool {
        matches!(self.esc, Esc::None) && !self.line_start
    }

    /// Whether `b` is decoration; advances the state.
    fn transparent(&mut self, b: u8) -> bool {
        let esc = self.esc;
        self.esc = Esc::None;
        match (esc, b) {
            (Esc::Start, b'[') => {
                self.esc = Esc::Csi;
                return true;
            }
            (Esc::Start | Esc::Intermediate, 0x20..=0x2f) => {
                self.esc = Esc::Intermediate;
                return true;
            }
            (Esc::Start | Esc::Intermediate, 0x30..=0x7e) => return true,
            (Esc::Csi, 0x20..=0x3f) => {
                self.esc = Esc::Csi;
                return true;
            }
            (Esc::Csi, 0x40..=0x7e) => return true,
            _ => {}
        }
        match b {
            0x1b => {
                self.esc = Esc::Start;
                true
            }
            b'\r' | b'\n' => {
                self.line_start = true;
                true
            }
            b' ' | b'\t' if self.line_start => true,
            _ => {
                self.line_start = false;
                false
            }
        }
    }
}

/// `value` as the decorated stage sees it: decorations removed.
fn normalised(value: &[u8]) -> Vec<u8> {
    let mut lexer = Lexer::new();
    value
        .iter()
        .copied()
        .filter(|&b| !lexer.transparent(b))
        .collect()
}

/// One stage's state for one stream: the raw bytes held back, their
/// normalised view and where each run of the view lies in the raw bytes.
struct Stage {
    raw: Vec<u8>,
    /// The bytes of `raw` the engine matches on (all of them in the exact stage).
    view: Vec<u8>,
    /// (raw index, view index) where a run of consecutive view bytes starts.
    runs: Vec<(usize, usize)>,
    lexer: Lexer,
    events: Vec<(usize, usize, usize)>,
    /// The first `shown.0` view bytes (`shown.1` raw bytes) were already
    /// written by a `flush`: kept only so that a value they began is still
    /// recognised when the rest arrives, and its rest redacted.
    shown: (usize, usize),
}

impl Stage {
    fn new() -> Stage {
        Stage {
            raw: Vec::new(),
            view: Vec::new(),
            runs: Vec::new(),
            lexer: Lexer::new(),
            events: Vec::new(),
            shown: (0, 0),
        }
    }

    /// Feed `input` (the end of the stream if `at_end`); append to `out` what can be written now.
    fn push(&mut self, engine: &Engine, input: &[u8], out: &mut Vec<u8>, at_end: bool) {
        if engine.patterns.is_empty() {
            out.extend_from_slice(input);
            return;
        }
        if input.is_empty() && !at_end {
            return;
        }
        // Nothing held (the common case): work on the caller's buffer in
        // place, and copy only what must be held.
        let mut held = std::mem::take(&mut self.raw);
        let in_place = held.is_empty();
        if !in_place {
            held.extend_from_slice(input);
        }
        let raw: &[u8] = if in_place { input } else { &held };
        let normalise = engine.normalise;
        if normalise {
            self.lex(raw, raw.len() - input.len());
        }
        let view: &[u8] = if normalise { &self.view } else { raw };
        self.events.clear();
        let hold = engine.scan(view, at_end, &mut self.events);
        let runs = &self.runs;
        let raw_of = |v: usize| if normalise { raw_index(runs, v) } else { v };
        let raw_hold = if hold < view.len() {
            raw_of(hold)
        } else {
            raw.len()
        };
        let mut at = self.shown.1;
        let mut last_end = 0;
        for &(start, end, id) in &self.events {
            // A match that began in bytes already shown: its rest is redacted.
            let from = raw_of(start).max(at);
            let to = (raw_of(end - 1) + 1).max(from);
            out.extend_from_slice(bytes(raw, at..from));
            out.extend_from_slice(engine.replacement(id));
            at = to;
            last_end = end;
        }
        out.extend_from_slice(bytes(raw, at..raw_hold.max(at)));
        let (keep, raw_keep) = if at_end {
            // Everything is written; keep the undecided tail (after the last
            // match, shorter than the longest pattern) as shown context.
            let context = last_end.max(view.len().saturating_sub(engine.max_len.saturating_sub(1)));
            let raw_context = if context < view.len() {
                raw_of(context)
            } else {
                raw.len()
            };
            (context, raw_context)
        } else {
            (hold, raw_hold)
        };
        let view_len = view.len();
        if in_place {
            held.extend_from_slice(bytes(input, raw_keep..input.len()));
        } else {
            held.drain(..raw_keep.min(held.len()));
        }
        self.raw = held;
        if normalise {
            self.keep_view_from(keep, raw_keep);
        }
        self.shown = if at_end {
            (view_len - keep.min(view_len), self.raw.len())
        } else {
            (
                self.shown.0.saturating_sub(keep),
                self.shown.1.saturating_sub(raw_keep),
            )
        };
    }

    /// Extend the view with `raw[from..]`.
    fn lex(&mut self, raw: &[u8], from: usize) {
        let mut i = from;
        while i < raw.len() {
            if self.lexer.plain() {
                let rest = bytes(raw, i..raw.len());
                let end = memchr::memchr3(0x1b, b'\r', b'\n', rest).map_or(raw.len(), |k| i + k);
                if end > i {
                    self.add_run(raw, i, end);
                    i = end;
                    continue;
                }
            }
            let b = raw.get(i).copied().unwrap_or(0);
            if !self.lexer.transparent(b) {
                self.add_run(raw, i, i + 1);
            }
            i += 1;
        }
    }

    fn add_run(&mut self, raw: &[u8], from: usize, to: usize) {
        if from >= to {
            return;
        }
        let joins = self
            .runs
            .last()
            .is_some_and(|&(r, v)| r + (self.view.len() - v) == from);
        if !joins {
            self.runs.push((from, self.view.len()));
        }
        self.view.extend_from_slice(bytes(raw, from..to));
    }

    /// Raw bytes held back (not yet written).
    fn held(&self) -> usize {
        self.raw.len() - self.shown.1.min(self.raw.len())
    }

    /// Drop what was written: keep the view from `keep`, whose raw index is `raw_keep`.
    fn keep_view_from(&mut self, keep: usize, raw_keep: usize) {
        if keep >= self.view.len() {
            self.view.clear();
            self.runs.clear();
            return;
        }
        let k = self.runs.partition_point(|&(_, start)| start <= keep);
        let later: Vec<(usize, usize)> = self
            .runs
            .get(k..)
            .unwrap_or_default()
            .iter()
            .map(|&(r, v)| (r - raw_keep, v - keep))
            .collect();
        self.runs.clear();
        self.runs.push((0, 0));
        self.runs.extend(later);
        self.view.drain(..keep);
    }
}

/// Raw index of view byte `v`, given the view's runs.
fn raw_index(runs: &[(usize, usize)], v: usize) -> usize {
    let k = runs.partition_point(|&(_, start)| start <= v);
    match k.checked_sub(1).and_then(|k| runs.get(k)) {
        Some(&(r, start)) => r + (v - start),
        None => 0,
    }
}

impl Stream {
    /// Feed the next chunk read from the command; append to `out` every byte that can be written now.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let redactor = &*self.redactor;
        if redactor.exact.patterns.is_empty() {
            out.extend_from_slice(input);
            return;
        }
        self.between.clear();
        self.exact
            .push(&redactor.exact, input, &mut self.between, false);
        let decorated = self.decorated.get_or_insert_with(Stage::new);
        decorated.push(redactor.decorated(), &self.between, out, false);
        // Decorations inside a possible match are held with it; a stream of
        // nothing else (endless blank lines after `sk-`) must not grow the
        // held tail without bound.
        if decorated.held() > MAX_HELD {
            self.flush(out);
        }
    }

    /// End of stream: flush everything held back (redacting what must be redacted).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.flush(out);
    }

    /// Write out everything held back, deciding matches as if the stream
    /// ended here; the stream may go on afterwards. For a prompt that ends
    /// with what could be the start of a value: after a quiet moment it must
    /// be shown, even though a value completed later is then not matched whole.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        let redactor = &*self.redactor;
        if redactor.exact.patterns.is_empty() {
            return;
        }
        self.between.clear();
        self.exact
            .push(&redactor.exact, &[], &mut self.between, true);
        if self.decorated.is_none() && self.between.is_empty() {
            return; // nothing was ever written
        }
        self.decorated.get_or_insert_with(Stage::new).push(
            redactor.decorated(),
            &self.between,
            out,
            true,
        );
        wipe(&mut self.between);
        self.between.clear();
    }

    /// How many bytes are currently held back.
    pub fn pending_len(&self) -> usize {
        self.exact.held() + self.decorated.as_ref().map_or(0, Stage::held)
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("values", &self.inner.exact.patterns.len())
            .field("max_len", &self.inner.exact.max_len)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("pending_len", &self.pending_len())
            .finish_non_exhaustive()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Best effort: the matcher's own copy cannot be reached.
        for value in self.patterns.iter_mut().chain(self.sources.iter_mut()) {
            value.fill(0);
        }
        std::hint::black_box(&self.patterns);
        std::hint::black_box(&self.sources);
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        wipe(&mut self.raw);
        wipe(&mut self.view);
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        wipe(&mut self.between);
    }
}

/// Overwrites a buffer (including spare capacity) that may have held part of a value.
fn wipe(buf: &mut Vec<u8>) {
    buf.fill(0);
    for b in buf.spare_capacity_mut() {
        b.write(0);
    }
    std::hint::black_box(buf);
}

/// Index of the byte pair `a b` in `Engine::first_pairs`.
fn pair_index(a: u8, b: u8) -> usize {
    usize::from(a) << 8 | usize::from(b)
}

/// `text[range]`, or empty if out of bounds (never happens; avoids a panic path).
fn bytes(text: &[u8], range: Range<usize>) -> &[u8] {
    text.get(range).unwrap_or_default()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The same secrets behind each matcher, so every path is held to one contract.
    fn engines(secrets: &[(&str, &[u8])]) -> Vec<Redactor> {
        engines_with(secrets, true)
    }

    fn engines_with(secrets: &[(&str, &[u8])], fragments: bool) -> Vec<Redactor> {
        let best = Redactor::build(secrets, fragments);
        let mut automaton = Redactor::build(secrets, fragments);
        let inner = Arc::get_mut(&mut automaton.inner).unwrap();
        let _ = inner.decorated();
        let decorated = inner.decorated.get_mut().unwrap();
        for engine in [&mut inner.exact, decorated] {
            if !engine.patterns.is_empty() {
                let ac = AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&engine.patterns)
                    .unwrap();
                engine.matcher = Matcher::Automaton(ac);
                engine.matcher_ids = None;
                engine.windows = None;
            }
        }
        let mut slow = Redactor::build(secrets, fragments);
        let inner = Arc::get_mut(&mut slow.inner).unwrap();
        let _ = inner.decorated();
        let decorated = inner.decorated.get_mut().unwrap();
        for engine in [&mut inner.exact, decorated] {
            engine.matcher = Matcher::Slow;
            engine.matcher_ids = None;
            engine.windows = None;
        }
        vec![best, automaton, slow]
    }

    fn run(r: &Redactor, chunks: &[&[u8]]) -> Vec<u8> {
        let mut s = r.stream();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        s.finish(&mut out);
        assert_eq!(s.pending_len(), 0);
        out
    }

    /// Redacts `chunks` with every engine and checks they agree; returns the output.
    fn redact(secrets: &[(&str, &[u8])], chunks: &[&[u8]]) -> Vec<u8> {
        let outs: Vec<Vec<u8>> = engines(secrets).iter().map(|r| run(r, chunks)).collect();
        assert!(outs.windows(2).all(|w| w[0] == w[1]));
        outs.into_iter().next().unwrap()
    }

    fn s(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    #[test]
    fn plain_text_passes_through() {
        let out = redact(
            &[("TOKEN", b"s3cr3t-value")],
            &[b"hello world\n", b"no secrets here"],
        );
        assert_eq!(s(&out), "hello world\nno secrets here");
    }

    #[test]
    fn single_secret_is_replaced() {
        let out = redact(&[("TOKEN", b"s3cr3t-value")], &[b"key=s3cr3t-value;\n"]);
        assert_eq!(s(&out), "key=<redacted:TOKEN>;\n");
    }

    #[test]
    fn secret_split_at_every_point() {
        let text = b"before hunter22 after";
        for r in engines(&[("PW", b"hunter22")]) {
            for cut in 0..=text.len() {
                let (a, b) = text.split_at(cut);
                assert_eq!(
                    s(&run(&r, &[a, b])),
                    "before <redacted:PW> after",
                    "cut {cut}"
                );
            }
        }
    }

    #[test]
    fn overlapping_values_leftmost_then_longest() {
        let secrets: &[(&str, &[u8])] = &[("A", b"abcdef"), ("B", b"cdefgh"), ("C", b"abcdefg")];
        assert_eq!(s(&redact(secrets, &[b"xabcdefgh"])), "x<redacted:C>h");
        assert_eq!(
            s(&redact(secrets, &[b"xabcdeXcdefgh"])),
            "xabcdeX<redacted:B>"
        );
        // A later start never beats an earlier one, even if longer.
        let secrets: &[(&str, &[u8])] = &[("A", b"abcd"), ("B", b"bcdefghij")];
        assert_eq!(s(&redact(secrets, &[b"abcdefghij"])), "<redacted:A>efghij");
    }

    #[test]
    fn prefix_values_longest_wins_across_chunks() {
        let secrets: &[(&str, &[u8])] = &[("SHORT", b"abcd"), ("LONG", b"abcdef")];
        for r in engines(secrets) {
            let mut st = r.stream();
            let mut out = Vec::new();
            st.push(b"xxabcd", &mut out);
            assert_eq!(s(&out), "xx");
            assert_eq!(st.pending_len(), 4);
            st.push(b"e", &mut out);
            assert_eq!(st.pending_len(), 5);
            st.push(b"f!", &mut out);
            assert_eq!(s(&out), "xx<redacted:LONG>!");
            assert_eq!(st.pending_len(), 0);

            let mut out = Vec::new();
            st.push(b"abcd", &mut out);
            st.push(b"eX", &mut out);
            assert_eq!(s(&out), "<redacted:SHORT>eX");

            // The stream ends while the longer value is still possible.
            let mut out = Vec::new();
            st.push(b"abcde", &mut out);
            assert_eq!(s(&out), "");
            st.finish(&mut out);
            assert_eq!(s(&out), "<redacted:SHORT>e");
        }
    }

    #[test]
    fn adjacent_secrets_and_secrets_at_the_edges() {
        let secrets: &[(&str, &[u8])] = &[("A", b"aaaa1"), ("B", b"bbbb2")];
        assert_eq!(
            s(&redact(secrets, &[b"aaaa1bbbb2aaaa1"])),
            "<redacted:A><redacted:B><redacted:A>"
        );
        assert_eq!(
            s(&redact(secrets, &[b"aaaa1 mid bbbb2"])),
            "<redacted:A> mid <redacted:B>"
        );
        assert_eq!(s(&redact(secrets, &[b"bbbb2"])), "<redacted:B>");
    }

    #[test]
    fn short_values_are_not_masked() {
        let secrets: &[(&str, &[u8])] = &[("PIN", b"123"), ("EMPTY", b""), ("ONE", b"x")];
        assert!(Redactor::new(secrets).is_empty());
        assert_eq!(s(&redact(secrets, &[b"pin 123 x"])), "pin 123 x");
        let secrets: &[(&str, &[u8])] = &[("PIN", b"1234")];
        assert!(!Redactor::new(secrets).is_empty());
        assert_eq!(
            s(&redact(secrets, &[b"pin 1234 123"])),
            "pin <redacted:PIN> 123"
        );
    }

    #[test]
    fn prompt_is_not_delayed() {
        for r in engines(&[("PW", b"hunter22")]) {
            let mut st = r.stream();
            let mut out = Vec::new();
            st.push(b"Password: ", &mut out);
            assert_eq!(s(&out), "Password: ");
            assert_eq!(st.pending_len(), 0);
        }
    }

    #[test]
    fn held_secret_prefix_is_released_unredacted_at_end() {
        for r in engines(&[("PW", b"hunter22")]) {
            let mut st = r.stream();
            let mut out = Vec::new();
            st.push(b"login: hunt", &mut out);
            assert_eq!(s(&out), "login: ");
            assert_eq!(st.pending_len(), 4);
            st.finish(&mut out);
            assert_eq!(s(&out), "login: hunt");
        }
    }

    #[test]
    fn holds_only_from_the_first_possible_start() {
        for r in engines(&[("Q", b"abcQ")]) {
            let mut st = r.stream();
            let mut out = Vec::new();
            st.push(b"xabc", &mut out);
            assert_eq!(s(&out), "x");
            assert_eq!(st.pending_len(), 3);
            st.push(b"Q", &mut out);
            assert_eq!(s(&out), "x<redacted:Q>");
        }
    }

    #[test]
    fn binary_bytes_pass_through() {
        let secrets: &[(&str, &[u8])] = &[("BIN", b"\x00\xff\x00\xfe")];
        let input: &[u8] = b"\x00\xff\xff\x80\x00\xff\x00\xfe\xc3";
        let out = redact(secrets, &[input]);
        assert_eq!(out, b"\x00\xff\xff\x80<redacted:BIN>\xc3".to_vec());
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(redact(&[("T", b"token")], &[&all]), all);
    }

    #[test]
    fn empty_redactor_passes_everything() {
        let r = Redactor::new(&[]);
        assert!(r.is_empty());
        let mut st = r.stream();
        let mut out = Vec::new();
        st.push(b"hunt", &mut out);
        assert_eq!(st.pending_len(), 0);
        st.push(b"\x00\xff", &mut out);
        st.finish(&mut out);
        assert_eq!(out, b"hunt\x00\xff".to_vec());
    }

    #[test]
    fn duplicate_values_use_one_of_the_names() {
        let out = s(&redact(
            &[("A", b"same-value"), ("B", b"same-value")],
            &[b"[same-value]"],
        ));
        assert!(out == "[<redacted:A>]" || out == "[<redacted:B>]", "{out}");
    }

    #[test]
    fn large_chunks_take_the_seam_path() {
        let secret = b"0123456789abcdef-secret";
        let mut text = vec![b'.'; 100_000];
        text[65_530..65_530 + secret.len()].copy_from_slice(secret);
        text.extend_from_slice(b"0123456789");
        let mut expected = vec![b'.'; 65_530];
        expected.extend_from_slice(b"<redacted:S>");
        expected.resize(expected.len() + 100_000 - 65_530 - secret.len(), b'.');
        expected.extend_from_slice(b"0123456789");
        let chunks: Vec<&[u8]> = text.chunks(65_536).collect();
        assert_eq!(redact(&[("S", secret)], &chunks), expected);
    }

    #[test]
    fn debug_never_shows_values() {
        let r = Redactor::new(&[("TOKEN", b"s3cr3t-value")]);
        let mut st = r.stream();
        st.push(b"s3cr3t-val", &mut Vec::new());
        let shown = format!("{r:?} {st:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    // ---- decorated values (issue 17 item 2) ----

    const TOKEN: &[u8] = b"s3cr3t-token-1234";

    #[test]
    fn colour_inside_a_value_is_redacted_with_it() {
        // See: issue 17 item 2
        let text: &[u8] = b"key=\x1b[31ms3cr\x1b[1;32m3t-token\x1b[0m-1234\x1b[0m done";
        let out = redact(&[("T", TOKEN)], &[text]);
        assert_eq!(s(&out), "key=\x1b[31m<redacted:T>\x1b[0m done");
    }

    #[test]
    fn grep_highlight_inside_a_value_is_redacted_with_it() {
        // See: issue 17 item 2
        let text: &[u8] = b"x s3cr\x1b[01;31m\x1b[K3t-tok\x1b[m\x1b[Ken-1234 y\n";
        for cut in 0..=text.len() {
            let (a, b) = text.split_at(cut);
            assert_eq!(s(&redact(&[("T", TOKEN)], &[a, b])), "x <redacted:T> y\n");
        }
    }

    #[test]
    fn hard_wrapped_indented_value_is_one_redaction() {
        // See: issue 17 item 2
        let jwt: Vec<u8> = (0..200u32)
            .map(|i| b"abcdefghijKLMNOP0123456789-_"[(i * 7 % 28) as usize])
            .collect();
        let mut text = b"token: {\n    ".to_vec();
        for (i, line) in jwt.chunks(40).enumerate() {
            if i > 0 {
                text.extend_from_slice(if i % 2 == 0 { b"\r\n\t  " } else { b"\n    " });
            }
            text.extend_from_slice(line);
        }
        text.extend_from_slice(b"\n}\n");
        let out = redact(&[("JWT", &jwt)], &[&text]);
        assert_eq!(s(&out), "token: {\n    <redacted:JWT>\n}\n");
    }

    #[test]
    fn long_fragments_of_long_values_are_redacted_short_ones_not() {
        // See: issue 17 item 2
        let value: &[u8] = b"sk-proj-0123456789abcdefghijklmnopqrstuvwxyz";
        let piece = &value[10..30]; // 20 bytes
        let text = [b"cut: ".as_slice(), piece, b"...".as_slice()].concat();
        assert_eq!(
            s(&redact(&[("K", value)], &[&text])),
            "cut: <redacted:K>..."
        );
        let short = &value[10..10 + FRAGMENT_LEN - 1];
        let text = [b"cut: ".as_slice(), short, b"...".as_slice()].concat();
        assert_eq!(redact(&[("K", value)], &[&text]), text);
        // A value below the fragment threshold is matched whole only.
        let mid: &[u8] = b"0123456789abcdefghij"; // 20 bytes
        assert_eq!(redact(&[("M", mid)], &[&mid[..18]]), mid[..18].to_vec());
    }

    #[test]
    fn flush_releases_a_held_prefix_and_fragments_still_catch_the_rest() {
        // See: issue 17 item 24
        let value: &[u8] = b"sk-proj-0123456789abcdefghijklmnopqrstuvwxyz";
        for r in engines(&[("K", value)]) {
            let mut st = r.stream();
            let mut out = Vec::new();
            st.push(b"Token: sk-proj", &mut out);
            assert_eq!(s(&out), "Token: ");
            st.flush(&mut out);
            assert_eq!(s(&out), "Token: sk-proj");
            assert_eq!(st.pending_len(), 0);
            st.push(&value[7..], &mut out);
            st.finish(&mut out);
            assert_eq!(s(&out), "Token: sk-proj<redacted:K>");
        }
    }

    #[test]
    fn decorations_alone_pass_at_once() {
        for r in engines(&[("T", TOKEN)]) {
            let mut st = r.stream();
            let mut out = Vec::new();
            st.push(b"\x1b[1mPassword:\x1b[0m \n  ", &mut out);
            assert_eq!(s(&out), "\x1b[1mPassword:\x1b[0m \n  ");
            assert_eq!(st.pending_len(), 0);
        }
    }

    #[test]
    fn endless_decorations_after_a_possible_start_are_not_held_forever() {
        let r = Redactor::new(&[("T", TOKEN)]);
        let mut st = r.stream();
        let mut out = Vec::new();
        st.push(b"x s3cr", &mut out);
        let blank = vec![b'\n'; 1000];
        for _ in 0..100 {
            st.push(&blank, &mut out);
        }
        assert!(
            st.pending_len() <= MAX_HELD + TOKEN.len(),
            "{}",
            st.pending_len()
        );
        assert!(out.len() > 50_000);
    }

    /// Decorations a program may put between the characters of a value.
    const DECORATIONS: &[&[u8]] = &[
        b"\x1b[31m",
        b"\x1b[0m",
        b"\x1b[1;38;5;196m",
        b"\x1b[01;31m\x1b[K",
        b"\x1b[m\x1b[K",
        b"\x1b[2J",
        b"\x1b(B",
        b"\n",
        b"\r\n",
        b"\n    ",
        b"\r\n\t",
        b"\n  \x1b[2m  ",
    ];

    /// Values from a token alphabet (some long enough for fragments), and a
    /// stream of values, pieces of values and filler, decorated at random
    /// places, with random chunk boundaries.
    fn decorated_case() -> impl Strategy<Value = (Vec<Vec<u8>>, Vec<u8>, Vec<usize>)> {
        let alphabet: &'static [u8] = b"ABab01-_xy";
        proptest::collection::vec(word(alphabet, 4..90), 1..4)
            .prop_flat_map(move |values| {
                let n = values.len();
                let piece = (
                    0..n,
                    0usize..90,
                    0usize..90,
                    proptest::collection::vec((0usize..90, 0..DECORATIONS.len()), 0..5),
                    word(b"ab01 .:xyz", 0..10),
                );
                (
                    Just(values),
                    proptest::collection::vec(piece, 0..12),
                    proptest::collection::vec(0usize..2000, 0..12),
                )
            })
            .prop_map(|(values, pieces, cuts)| {
                let mut text = Vec::new();
                for (i, a, b, decorations, filler) in pieces {
                    let v = &values[i];
                    // a == 0: the whole value; else the piece v[a..b].
                    let (from, to) = if a % 3 == 0 {
                        (0, v.len())
                    } else {
                        let from = a % v.len();
                        (from, (from + b).min(v.len()))
                    };
                    let mut piece: Vec<Vec<u8>> = v[from..to].iter().map(|&c| vec![c]).collect();
                    for (at, d) in decorations {
                        if !piece.is_empty() {
                            let at = at % piece.len();
                            piece[at].extend_from_slice(DECORATIONS[d]);
                        }
                    }
                    text.extend(piece.concat());
                    text.extend_from_slice(&filler);
                }
                (values, text, cuts)
            })
    }

    proptest! {
        #[test]
        fn decorated_values_and_long_fragments_never_reach_the_output((values, text, cuts) in decorated_case()) {
            // See: issue 17 item 2
            let named: Vec<(String, &[u8])> =
                values.iter().enumerate().map(|(i, v)| (format!("S{i}"), v.as_slice())).collect();
            let secrets: Vec<(&str, &[u8])> = named.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(text.len())).collect();
            bounds.push(0);
            bounds.push(text.len());
            bounds.sort_unstable();
            let chunks: Vec<&[u8]> = bounds.windows(2).map(|w| &text[w[0]..w[1]]).collect();
            let mut first: Option<Vec<u8>> = None;
            for r in engines(&secrets) {
                let whole = run(&r, &[&text]);
                let chunked = run(&r, &chunks);
                prop_assert_eq!(&chunked, &whole);
                // The rolling-hash path finds what the automaton finds.
                prop_assert_eq!(first.get_or_insert_with(|| whole.clone()), &whole);
                let shown = normalised(&whole);
                for v in &values {
                    let contains = |needle: &[u8]| shown.windows(needle.len()).any(|w| w == needle);
                    prop_assert!(!contains(v), "a whole value reached the output");
                    if v.len() >= FRAGMENT_MIN_VALUE {
                        for window in v.windows(FRAGMENT_LEN) {
                            prop_assert!(!contains(window), "a fragment reached the output");
                        }
                    }
                }
            }
        }
    }

    // ---- property test against an obviously-correct whole-text reference ----

    fn name_of(values: &[Vec<u8>], v: &[u8]) -> String {
        let i = values.iter().position(|x| x == v).unwrap();
        format!("S{i}")
    }

    /// Whole-text rule, naively: at each position replace the longest value starting there.
    fn reference(values: &[Vec<u8>], text: &[u8]) -> Vec<u8> {
        reference_prefix(values, text, true).0
    }

    /// The same rule on the text known so far; unless `at_end`, stop at the first
    /// position whose rest is a proper prefix of a value (the bytes that must be
    /// held). Returns (output so far, position held from).
    fn reference_prefix(values: &[Vec<u8>], text: &[u8], at_end: bool) -> (Vec<u8>, usize) {
        let masked: Vec<&Vec<u8>> = values.iter().filter(|v| v.len() >= MIN_MASK_LEN).collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            if !at_end
                && masked
                    .iter()
                    .any(|v| v.len() > rest.len() && v.starts_with(rest))
            {
                return (out, i);
            }
            match masked
                .iter()
                .filter(|v| rest.starts_with(v))
                .max_by_key(|v| v.len())
            {
                Some(v) => {
                    out.extend_from_slice(format!("<redacted:{}>", name_of(values, v)).as_bytes());
                    i += v.len();
                }
                None => {
                    out.push(text[i]);
                    i += 1;
                }
            }
        }
        (out, i)
    }

    fn word(alphabet: &'static [u8], len: std::ops::Range<usize>) -> BoxedStrategy<Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(alphabet), len).boxed()
    }

    /// Secrets from a tiny alphabet so prefixes and overlaps are common, some
    /// derived from others (extension / prefix), and text assembled from
    /// secrets, pieces of secrets and filler.
    fn case() -> impl Strategy<Value = (Vec<Vec<u8>>, Vec<u8>, Vec<usize>)> {
        let alphabet: &'static [u8] = b"ab\x00\xff";
        proptest::collection::vec(word(alphabet, 1..40), 1..8)
            .prop_flat_map(move |bases| {
                let n = bases.len();
                let derived = proptest::collection::vec(
                    (0..n, any::<bool>(), word(alphabet, 1..6), 1usize..40),
                    0..4,
                );
                (Just(bases), derived)
            })
            .prop_map(|(mut values, derived)| {
                for (i, extend, tail, cut) in derived {
                    let mut v = values[i].clone();
                    if extend {
                        v.extend_from_slice(&tail);
                    } else {
                        v.truncate(cut.min(v.len()));
                    }
                    values.push(v);
                }
                let mut seen = Vec::new();
                values.retain(|v| {
                    let new = !seen.contains(v);
                    seen.push(v.clone());
                    new
                });
                values
            })
            .prop_flat_map(move |values| {
                let n = values.len();
                let piece = prop_oneof![(0..n).prop_map(Some), Just(None),];
                let pieces = proptest::collection::vec(
                    (piece, word(alphabet, 0..12), 0usize..40, any::<bool>()),
                    0..40,
                );
                (
                    Just(values),
                    pieces,
                    proptest::collection::vec(0usize..200, 0..12),
                )
            })
            .prop_map(|(values, pieces, cuts)| {
                let mut text = Vec::new();
                for (secret, filler, cut, whole) in pieces {
                    if let Some(i) = secret {
                        let v = &values[i];
                        text.extend_from_slice(if whole { v } else { &v[..cut.min(v.len())] });
                    }
                    text.extend_from_slice(&filler);
                }
                (values, text, cuts)
            })
    }

    proptest! {
        #[test]
        fn chunked_equals_whole_text_reference((values, text, cuts) in case()) {
            let named: Vec<(String, &[u8])> =
                values.iter().enumerate().map(|(i, v)| (format!("S{i}"), v.as_slice())).collect();
            let secrets: Vec<(&str, &[u8])> = named.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            let longest = values.iter().map(Vec::len).filter(|&l| l >= MIN_MASK_LEN).max().unwrap_or(0);
            let expected = reference(&values, &text);

            let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(text.len())).collect();
            bounds.push(0);
            bounds.push(text.len());
            bounds.sort_unstable();

            for r in engines_with(&secrets, false) {
                let mut st = r.stream();
                let mut out = Vec::new();
                for w in bounds.windows(2) {
                    st.push(&text[w[0]..w[1]], &mut out);
                    // No lag: the exact pass holds exactly the reference's
                    // undecided tail, shorter than the longest value. The
                    // second pass cannot see what the first holds, so it may
                    // hold a little more meanwhile, never write anything early.
                    let (so_far, hold) = reference_prefix(&values, &text[..w[1]], false);
                    prop_assert!(so_far.starts_with(&out));
                    prop_assert_eq!(st.exact.held(), w[1] - hold);
                    prop_assert!(st.exact.held() < longest.max(1));
                    prop_assert!(st.decorated.as_ref().map_or(0, Stage::held) < longest.max(1));
                    if st.exact.held() == 0 {
                        prop_assert_eq!(&out, &so_far);
                    }
                }
                st.finish(&mut out);
                prop_assert_eq!(&out, &expected);
            }
        }
    }
}

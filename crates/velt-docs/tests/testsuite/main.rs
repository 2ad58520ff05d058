//! velt-docs' integration tests, in one binary: the parser on every pinned page and on fuzzed
//! input.

mod fuzz_parser;
mod real_pages;

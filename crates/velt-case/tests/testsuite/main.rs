//! velt-case's integration tests, in one test binary (one link step, as cargo's own
//! `tests/testsuite`): one module per concern, the fixtures in `common`.
//!
//! - `case`: the case folder end to end (deadlines, the event chain, check, list, zip, file
//!   names of hostile ids, the typed subject);
//! - `coverage`: everything Velt holds: the coverage table in `case.json`, the other stores'
//!   data and the downloaded files recorded and checked, and the report showing each;
//! - `report_html`: the report's safety, parsed by an HTML5 parser in every run;
//! - `browser`: the report in headless chromium, when chromium is there (required by
//!   `VELT_REQUIRE_BROWSER=1`).

mod browser;
mod case;
mod common;
mod coverage;
mod report_html;

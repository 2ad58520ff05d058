//! `events.jsonl`: one line per step, each carrying the SHA-256 of the line before it.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::fsutil::sha256_hex;

/// The `prev` of the first line: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of `events.jsonl`: a step taken on the case.
///
/// `prev` is the SHA-256 (hex) of the previous line's bytes without its newline, or
/// [`GENESIS`] on the first line, so a changed, removed or reordered line breaks the chain;
/// the number of lines and the SHA-256 of the last one are also kept in `case.json`
/// ([`crate::model::EventsHead`]), so a removed last line is caught too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// 1 for the first line, then one more per line.
    pub seq: u64,
    /// When the step was recorded (UTC).
    pub at: DateTime<Utc>,
    /// What happened: `created`, `search`, `export`, `status`, `extension`, `receipt`,
    /// `verification`, `report`, `file`, or a step the caller names with
    /// [`crate::CaseFolder::log`].
    pub step: String,
    /// What the step did (counts, file names, hashes, the new status...); never a credential.
    #[serde(default)]
    pub details: serde_json::Value,
    /// SHA-256 of the previous line, or [`GENESIS`].
    pub prev: String,
}

/// What reading the event log found.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChainState {
    /// Number of lines read.
    pub lines: u64,
    /// SHA-256 of the last line ([`GENESIS`] when empty).
    pub last: String,
    /// Every break of the chain, in words (empty when intact).
    pub breaks: Vec<String>,
    /// The events that parsed.
    pub events: Vec<Event>,
}

/// Reads and checks a whole event log from `reader`.
pub(crate) fn read_chain(reader: impl Read) -> std::io::Result<ChainState> {
    let mut state = ChainState {
        last: GENESIS.to_string(),
        ..ChainState::default()
    };
    for line in BufReader::new(reader).split(b'\n') {
        let line = line?;
        state.lines += 1;
        let n = state.lines;
        match serde_json::from_slice::<Event>(&line) {
            Ok(event) => {
                if event.prev != state.last {
                    state.breaks.push(format!(
                        "line {n}: its prev is {}, but the line before it hashes to {} (a line was changed, removed or moved)",
                        event.prev, state.last
                    ));
                }
                if event.seq != n {
                    state.breaks.push(format!(
                        "line {n}: seq {} where {n} was expected (a line was removed or moved)",
                        event.seq
                    ));
                }
                state.events.push(event);
            }
            Err(e) => state
                .breaks
                .push(format!("line {n}: not an event line ({e})")),
        }
        state.last = sha256_hex(&line);
    }
    Ok(state)
}

/// Appends one event to the log open (and locked) as `file`, after reading the chain's end
/// from it. Writes the whole line with one call and syncs it. Returns the new line's hash.
pub(crate) fn append(
    file: &mut File,
    path: &Path,
    step: &str,
    details: serde_json::Value,
) -> Result<(u64, String), Error> {
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(path, "cannot read the event log", e))?;
    let state =
        read_chain(&mut *file).map_err(|e| Error::io(path, "cannot read the event log", e))?;
    let event = Event {
        seq: state.lines + 1,
        at: Utc::now(),
        step: step.to_string(),
        details,
        prev: state.last,
    };
    let mut line = serde_json::to_vec(&event).map_err(|e| Error::Invalid {
        path: path.to_path_buf(),
        message: format!("cannot encode the event: {e}"),
    })?;
    let hash = sha256_hex(&line);
    line.push(b'\n');
    // Opened with append: the write goes to the end whatever the position.
    file.write_all(&line)
        .and_then(|()| file.sync_data())
        .map_err(|e| Error::io(path, "cannot append to the event log", e))?;
    Ok((event.seq, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(steps: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = GENESIS.to_string();
        for (i, step) in steps.iter().enumerate() {
            let event = Event {
                seq: i as u64 + 1,
                at: Utc::now(),
                step: step.to_string(),
                details: serde_json::json!({}),
                prev: prev.clone(),
            };
            let line = serde_json::to_vec(&event).unwrap();
            prev = sha256_hex(&line);
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn an_intact_chain_has_no_breaks_and_each_tampering_is_named() {
        let log = log_of(&["created", "search", "export", "status"]);
        let state = read_chain(&log[..]).unwrap();
        assert!(state.breaks.is_empty(), "{:?}", state.breaks);
        assert_eq!(state.lines, 4);

        let text = String::from_utf8(log).unwrap();
        let lines: Vec<&str> = text.lines().collect();

        // Changed: a step renamed.
        let changed = text.replacen("\"search\"", "\"searcH\"", 1);
        let state = read_chain(changed.as_bytes()).unwrap();
        assert_eq!(state.breaks.len(), 1, "{:?}", state.breaks);
        assert!(state.breaks[0].starts_with("line 3:"));

        // Removed: the second line.
        let removed = [lines[0], lines[2], lines[3]].join("\n") + "\n";
        let state = read_chain(removed.as_bytes()).unwrap();
        assert!(state.breaks.iter().any(|b| b.starts_with("line 2:")));

        // Reordered: lines 3 and 4 swapped.
        let reordered = [lines[0], lines[1], lines[3], lines[2]].join("\n") + "\n";
        let state = read_chain(reordered.as_bytes()).unwrap();
        assert!(state.breaks.iter().any(|b| b.starts_with("line 3:")));
        assert!(state.breaks.iter().any(|b| b.starts_with("line 4:")));
    }
}

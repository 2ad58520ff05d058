//! Opaque page tokens of the export and of the v2 list calls.
//!
//! A token is the URL-safe base64 of a version byte, the page number and a check value
//! derived from the seed, the organization and the user. A token is only accepted for the
//! export it was issued for; anything else is refused as INVALID_ARGUMENT.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::dataset::{hash, hash_str};

const VERSION: u8 = 1;

fn check(seed: u64, organization_id: &str, user_id: &str, page: u32) -> u64 {
    hash(&[
        seed,
        0x7043,
        hash_str(organization_id),
        hash_str(user_id),
        u64::from(page),
    ])
}

/// The token of page `page` (0-based; page 0 never needs one).
pub(crate) fn encode(seed: u64, organization_id: &str, user_id: &str, page: u32) -> String {
    let mut bytes = Vec::with_capacity(13);
    bytes.push(VERSION);
    bytes.extend_from_slice(&page.to_be_bytes());
    bytes.extend_from_slice(&check(seed, organization_id, user_id, page).to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The page number of a token issued for this export, or `None` for anything else.
pub(crate) fn decode(seed: u64, organization_id: &str, user_id: &str, token: &str) -> Option<u32> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let (&version, rest) = bytes.split_first()?;
    if version != VERSION || rest.len() != 12 {
        return None;
    }
    let page = u32::from_be_bytes(rest[..4].try_into().ok()?);
    let mac = u64::from_be_bytes(rest[4..].try_into().ok()?);
    (page > 0 && mac == check(seed, organization_id, user_id, page)).then_some(page)
}

const OFFSET_VERSION: u8 = 2;

fn offset_check(seed: u64, scope: u64, offset: u64) -> u64 {
    hash(&[seed, 0x7632, scope, offset])
}

/// The token of the list page that starts at `offset`, for the request whose filters hash to
/// `scope` (the v2 list calls: the page size may change from page to page).
pub(crate) fn encode_offset(seed: u64, scope: u64, offset: u64) -> String {
    let mut bytes = Vec::with_capacity(17);
    bytes.push(OFFSET_VERSION);
    bytes.extend_from_slice(&offset.to_be_bytes());
    bytes.extend_from_slice(&offset_check(seed, scope, offset).to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The offset of a token issued for a request with these filters, or `None`.
pub(crate) fn decode_offset(seed: u64, scope: u64, token: &str) -> Option<u64> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let (&version, rest) = bytes.split_first()?;
    if version != OFFSET_VERSION || rest.len() != 16 {
        return None;
    }
    let offset = u64::from_be_bytes(rest[..8].try_into().ok()?);
    let mac = u64::from_be_bytes(rest[8..].try_into().ok()?);
    (offset > 0 && mac == offset_check(seed, scope, offset)).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_tokens_round_trip_only_for_their_filters() {
        let t = encode_offset(42, 7, 1000);
        assert_eq!(decode_offset(42, 7, &t), Some(1000));
        assert_eq!(decode_offset(42, 8, &t), None);
        assert_eq!(decode_offset(43, 7, &t), None);
        assert_eq!(
            decode_offset(42, 7, &encode(42, "org-0001", "user-0001", 1)),
            None
        );
        assert_eq!(decode_offset(42, 7, "pageToken"), None);
    }

    #[test]
    fn tokens_round_trip_only_for_their_export() {
        let t = encode(42, "org-0001", "user-0001", 3);
        assert_eq!(decode(42, "org-0001", "user-0001", &t), Some(3));
        assert_eq!(decode(42, "org-0001", "user-0002", &t), None);
        assert_eq!(decode(43, "org-0001", "user-0001", &t), None);
        assert_eq!(decode(42, "org-0001", "user-0001", "garbage!"), None);
        assert_eq!(decode(42, "org-0001", "user-0001", ""), None);
    }
}

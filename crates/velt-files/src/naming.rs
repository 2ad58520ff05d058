//! The name a fetched file gets: `<sha256>.<ext>`, from its content and its content type,
//! never from its URL (so nothing in a URL, `../` or `%2e%2e` included, can choose where a
//! file goes).

/// The content types the files in Velt's data come as, and their extensions. Anything else
/// is `bin`.
const EXTENSIONS: &[(&str, &str)] = &[
    ("application/json", "json"),
    ("application/msword", "doc"),
    ("application/octet-stream", "bin"),
    ("application/pdf", "pdf"),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("application/x-subrip", "srt"),
    ("application/zip", "zip"),
    ("audio/aac", "aac"),
    ("audio/mp4", "m4a"),
    ("audio/mpeg", "mp3"),
    ("audio/ogg", "ogg"),
    ("audio/wav", "wav"),
    ("audio/webm", "weba"),
    ("audio/x-wav", "wav"),
    ("image/avif", "avif"),
    ("image/gif", "gif"),
    ("image/heic", "heic"),
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/svg+xml", "svg"),
    ("image/webp", "webp"),
    ("text/csv", "csv"),
    ("text/markdown", "md"),
    ("text/plain", "txt"),
    ("text/vtt", "vtt"),
    ("video/mp4", "mp4"),
    ("video/ogg", "ogv"),
    ("video/quicktime", "mov"),
    ("video/webm", "webm"),
];

/// The media type of a `Content-Type` value, lower-cased and without parameters
/// (`Video/WebM; codecs=vp9` → `video/webm`), or `None` when it is not a `type/subtype`.
pub(crate) fn essence(content_type: &str) -> Option<String> {
    let essence = content_type.split(';').next()?.trim().to_ascii_lowercase();
    let (kind, sub) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    (token(kind) && token(sub)).then_some(essence)
}

/// The extension for a media type: from the table, `bin` otherwise.
pub(crate) fn extension(essence: Option<&str>) -> &'static str {
    essence
        .and_then(|e| EXTENSIONS.iter().find(|(m, _)| *m == e))
        .map(|(_, ext)| *ext)
        .unwrap_or("bin")
}

/// The file name of content with this SHA-256 (hex) and media type.
pub(crate) fn file_name(sha256_hex: &str, essence: Option<&str>) -> String {
    format!("{sha256_hex}.{}", extension(essence))
}

/// Whether `name` is one this crate gives (64 lower-case hex digits, a dot, an extension of
/// the table or `bin`): a name read back from the journal must be one, so that a tampered
/// journal cannot point outside the folder.
pub(crate) fn is_own_name(name: &str) -> bool {
    let Some((hash, ext)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 64
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && (ext == "bin" || EXTENSIONS.iter().any(|(_, e)| *e == ext))
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_hash_and_the_type() {
        let hash = "a".repeat(64);
        assert_eq!(
            file_name(&hash, essence("video/webm").as_deref()),
            format!("{hash}.webm")
        );
        assert_eq!(
            file_name(&hash, essence("Audio/MPEG; charset=x").as_deref()),
            format!("{hash}.mp3")
        );
        assert_eq!(
            file_name(&hash, essence("text/html").as_deref()),
            format!("{hash}.bin")
        );
        assert_eq!(file_name(&hash, None), format!("{hash}.bin"));
        assert_eq!(essence("../../etc"), None);
        assert_eq!(essence("text/../x"), None);
        assert_eq!(essence("image/png/../../x"), None);
        assert!(is_own_name(&format!("{hash}.webm")));
        assert!(!is_own_name(&format!("{hash}.html")));
        assert!(!is_own_name("../x.bin"));
        assert!(!is_own_name(&format!("../{}.bin", "a".repeat(61))));
        assert!(!is_own_name(&format!("{}.bin", "A".repeat(64))));
    }
}

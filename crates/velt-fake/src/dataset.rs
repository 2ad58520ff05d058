//! The seeded workspace: organizations, documents, users and their items.
//!
//! Nothing is stored: every id, name and item is derived on demand from the seed and the
//! indexes involved (organization, user, feature, item), with a splitmix64 generator. That
//! keeps a workspace of a million items as cheap as one of ten, and lets tests compute the
//! exact items an export must contain with [`Dataset::expected_items`]. The one exception is
//! the index of each organization's members, built on the first listing (one pass over the
//! users) so that a listing costs the organization's members, not the whole workspace.

use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value, json};

use crate::config::FakeConfig;

/// Items of each feature on one export page, as Velt documents: the server pages exports by
/// it, and [`Dataset::expected_items_in_export_order`] follows the same pages.
pub(crate) const PAGE_SIZE: usize = 100;

/// One of the four kinds of data an export returns, in the order Velt lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// Comment annotations the user created or took part in (`comments`).
    Comments,
    /// Reaction annotations the user created (`reactions`).
    Reactions,
    /// Recordings the user created (`recordings`).
    Recordings,
    /// Notifications the user was involved in (`notifications`).
    Notifications,
}

impl Feature {
    /// The four features, in the order of the export's `data` object.
    pub const ALL: [Feature; 4] = [
        Feature::Comments,
        Feature::Reactions,
        Feature::Recordings,
        Feature::Notifications,
    ];

    /// The name of the feature's array in an export page, e.g. `"comments"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Comments => "comments",
            Feature::Reactions => "reactions",
            Feature::Recordings => "recordings",
            Feature::Notifications => "notifications",
        }
    }

    fn tag(self) -> u64 {
        match self {
            Feature::Comments => 1,
            Feature::Reactions => 2,
            Feature::Recordings => 3,
            Feature::Notifications => 4,
        }
    }
}

/// A user as Get Users returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededUser {
    /// The user's id, e.g. `user-0007`.
    pub user_id: String,
    /// Display name; often has accents or non-Latin letters.
    pub name: String,
    /// ASCII email address under `example.com`, in mixed case for some users
    /// (`Jane.Doe@Example.com`): compare emails without regard to case.
    pub email: String,
}

/// An organization as Get Organizations returns it (its other metadata fields aside).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededOrganization {
    /// The organization's id, e.g. `org-0003`.
    pub id: String,
    /// Display name.
    pub organization_name: String,
    /// Every seventh organization (`org-0007`, `org-0014`, ...) is disabled.
    pub disabled: bool,
}

/// A description of the seeded workspace, and the generator of its items.
///
/// Ids are 1-based and zero-padded to at least four digits: organizations `org-0001`, users
/// `user-0001`, documents `doc-<org number>-<document number>` (e.g. `doc-0002-03`), two
/// documents to a folder `folder-<org number>-<folder number>` (`doc-0002-03` is in
/// `folder-0002-02`). User `n` belongs to organization `((n - 1) mod organizations) + 1`, and
/// about a quarter of the users belong to a second organization as well. Two users are
/// special, to find a person with: the last user of the workspace
/// ([`Dataset::multi_organization_user`], "Jane Doe", `Jane.Doe@Example.com`) belongs to three
/// organizations (when there are three), and the one before it
/// ([`Dataset::document_only_user`]) is, beside its own organization, a user of one document
/// of another organization without being a member of it: Get Users v2 lists it there only
/// for that document, its folder or `allDocuments`, never at organization level. Each user
/// has `items_per_feature` items of each [`Feature`] in each organization they have data in
/// (the ones they belong to, and the document-only one).
///
/// The dataset describes what was seeded; it does not know about deletions made through the
/// running server.
#[derive(Clone, Debug)]
pub struct Dataset {
    seed: u64,
    organizations: usize,
    users: usize,
    documents: usize,
    items_per_feature: usize,
    activities_per_user: usize,
    files: usize,
    big_file_bytes: u64,
    /// The API key, which Velt copies into the metadata of activity records and settings.
    api_key: String,
    /// Scheme, host and port of the URLs of served files (the fake's base URL).
    files_origin: String,
    /// The members of each organization, built on first use (one pass over the users), so
    /// that listing an organization's users costs its members, not the whole workspace.
    members: Arc<MemberIndex>,
}

/// The members of each organization, in user order; built once, when first asked for.
#[derive(Default)]
struct MemberIndex(OnceLock<Vec<Vec<usize>>>);

impl std::fmt::Debug for MemberIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "MemberIndex(built)"
        } else {
            "MemberIndex(not built)"
        })
    }
}

const ORGANIZATION_NAMES: [&str; 6] = [
    "Acme Corp",
    "Müller & Söhne GmbH",
    "Société Générale d'Essai",
    "株式会社テスト",
    "Nordlys AS",
    "O'Brien Partners",
];

const GROUPS: [&str; 4] = ["engineering", "design", "support", "sales"];

const FIRST_NAMES: [(&str, &str); 16] = [
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Åsa", "asa"),
    ("Björn", "bjorn"),
    ("Chloé", "chloe"),
    ("Dmitri", "dmitri"),
    ("Eun-ji", "eunji"),
    ("François", "francois"),
    ("Grace", "grace"),
    ("Hiroshi", "hiroshi"),
    ("Ingrid", "ingrid"),
    ("Jürgen", "jurgen"),
    ("Léa", "lea"),
    ("Oğuz", "oguz"),
    ("Priya", "priya"),
    ("Søren", "soren"),
];

const LAST_NAMES: [(&str, &str); 16] = [
    ("Ångström", "angstrom"),
    ("Núñez", "nunez"),
    ("Müller", "muller"),
    ("O'Brien", "obrien"),
    ("García", "garcia"),
    ("Kowalski", "kowalski"),
    ("Nguyễn", "nguyen"),
    ("Ōtani", "otani"),
    ("Dubois", "dubois"),
    ("Smith", "smith"),
    ("Çelik", "celik"),
    ("Ivanova", "ivanova"),
    ("Haddad", "haddad"),
    ("Khan", "khan"),
    ("山田", "yamada"),
    ("Петров", "petrov"),
];

pub(crate) const TEXTS: [&str; 12] = [
    "Grüße 👋 — can we tighten this paragraph?",
    "日本語のテキストを確認してください。",
    "Looks good to me ✅",
    "Could you double-check the Q3 numbers? 📈",
    "Ça marche — merci beaucoup !",
    "This needs a citation «source» before we ship.",
    "Emoji stress test: 👩‍👩‍👧‍👦 🏳️‍🌈 🇯🇵",
    "RTL: مرحبا بالعالم",
    "Line one\nLine two\tafter a tab",
    "Quotes \"double\" and 'single' and a \\backslash",
    "Привет! Посмотри, пожалуйста, этот раздел.",
    "Ünïcödé everywhere: ½ ≠ ¼, ∑ ≤ ∞",
];

const DOCUMENT_TITLES: [&str; 6] = [
    "Quarterly plan — Q3 📈",
    "Design review: Ünïcode onboarding",
    "ロードマップ 2025",
    "Release notes «v2»",
    "Incident post-mortem #42",
    "Café menu redesign ☕",
];

pub(crate) const REACTION_ICONS: [&str; 6] = ["👍", "🎉", "❤️", "😂", "👀", "🚀"];

/// 2024-01-01T00:00:00Z in milliseconds since the Unix epoch.
pub(crate) const EPOCH_BASE_MS: u64 = 1_704_067_200_000;
pub(crate) const YEAR_MS: u64 = 365 * 24 * 3600 * 1000;

impl Dataset {
    /// The dataset a server started with `config` serves.
    pub fn new(config: &FakeConfig) -> Dataset {
        Dataset {
            seed: config.seed,
            organizations: config.organizations.max(1),
            users: config.users,
            documents: config.documents_per_organization.max(1),
            items_per_feature: config.items_per_feature,
            activities_per_user: config.activities_per_user,
            files: config.files,
            big_file_bytes: config.big_file_bytes,
            api_key: config.api_key.clone(),
            files_origin: DEFAULT_FILES_ORIGIN.to_owned(),
            members: Arc::default(),
        }
    }

    /// The same dataset, naming its files under `origin` (a running fake's base URL).
    pub(crate) fn with_files_origin(mut self, origin: String) -> Dataset {
        self.files_origin = origin;
        self
    }

    /// Scheme, host and port of the URLs of the files exported items point at: the base URL
    /// of the fake that serves this dataset ([`crate::FakeVelt::dataset`]), or
    /// `http://127.0.0.1` for a dataset made with [`Dataset::new`] alone.
    pub fn files_origin(&self) -> &str {
        &self.files_origin
    }

    /// How many activity records each user has in each organization where it has any.
    pub fn activities_per_user(&self) -> usize {
        self.activities_per_user
    }

    /// The user whose exported items point at served files, and the organization of those
    /// items: [`Dataset::multi_organization_user`] in its first organization.
    pub fn person_with_files(&self) -> Option<(String, String)> {
        let (o, u) = self.files_pair()?;
        Some((user_id(u), org_id(o)))
    }

    /// Every file the fake serves, in the order the items name them: for file `f`
    /// (`0..FakeConfig::files`), kind `f % 7` on comment or recording `f / 7`; then the big
    /// file when [`FakeConfig::big_file_bytes`](crate::FakeConfig::big_file_bytes) is set.
    pub fn files(&self) -> Vec<SeededFile> {
        let Some((o, u)) = self.files_pair() else {
            return Vec::new();
        };
        let mut files: Vec<SeededFile> = (0..self.file_count())
            .map(|f| self.seeded_file(o, u, FileKind::ALL[f % 7], f / 7))
            .collect();
        files.extend(self.big_file(o, u));
        files
    }

    /// The served file at this path (e.g. `/files/org-0001/user-0012/c1-voice.webm`), if any.
    pub fn file(&self, path: &str) -> Option<SeededFile> {
        let (o, u) = self.files_pair()?;
        let prefix = format!("/files/{}/{}/", org_id(o), user_id(u));
        let name = path.strip_prefix(&prefix)?;
        if name == BIG_FILE_NAME {
            return self.big_file(o, u);
        }
        let (slot, kind) = name.split_once('-')?;
        let kind = FileKind::ALL.into_iter().find(|k| k.name() == kind)?;
        let slot: usize = slot.strip_prefix(kind.letter())?.parse().ok()?;
        let slot = slot.checked_sub(1)?;
        let f = slot.checked_mul(7)?.checked_add(kind as usize)?;
        // Only the canonical spelling (`c1`, not `c01`).
        Some(self.seeded_file(o, u, kind, slot))
            .filter(|file| f < self.file_count() && file.path == path)
    }

    /// The bytes of a served file (not of the big one, which is only ever streamed); `None`
    /// for any other path.
    pub fn file_bytes(&self, path: &str) -> Option<Vec<u8>> {
        let file = self.file(path)?;
        if file.path.ends_with(BIG_FILE_NAME) {
            return None;
        }
        Some(file_content(
            self.seed,
            &file.path,
            file.content_type,
            file.len,
        ))
    }

    /// 64 KiB of the big file: it is this block over and over, cut at its length.
    pub(crate) fn big_file_block(&self) -> Vec<u8> {
        file_content(self.seed, BIG_FILE_NAME, "video/webm", 64 * 1024)
    }

    /// How many items of each feature every user has in each of their organizations.
    pub fn items_per_feature(&self) -> usize {
        self.items_per_feature
    }

    /// Ids of all organizations, in order.
    pub fn organization_ids(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.organizations).map(org_id)
    }

    /// Ids of all users of the workspace, in order.
    pub fn user_ids(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.users).map(user_id)
    }

    /// Ids of the documents of an organization; empty for an unknown organization.
    pub fn document_ids(&self, organization_id: &str) -> Vec<String> {
        match self.org_index(organization_id) {
            Some(o) => (0..self.documents).map(|d| doc_id(o, d)).collect(),
            None => Vec::new(),
        }
    }

    /// Ids of the organizations a user has data in, in order: the ones it belongs to (one or
    /// two, three for [`Dataset::multi_organization_user`]) and, for
    /// [`Dataset::document_only_user`], the one where it is only a document user. Empty for an
    /// unknown user.
    pub fn organizations_of(&self, user_id: &str) -> Vec<String> {
        match self.user_index(user_id) {
            Some(u) => self.data_orgs(u).into_iter().map(org_id).collect(),
            None => Vec::new(),
        }
    }

    /// The organization with this id, if it was seeded.
    pub fn organization(&self, organization_id: &str) -> Option<SeededOrganization> {
        self.org_index(organization_id)
            .map(|o| self.seeded_organization(o))
    }

    /// How many organizations the workspace has.
    pub fn organization_count(&self) -> usize {
        self.organizations
    }

    /// The user who belongs to three organizations ("Jane Doe", `Jane.Doe@Example.com`): the
    /// last user, when there are at least two users and three organizations.
    pub fn multi_organization_user(&self) -> Option<String> {
        self.multi_user().map(user_id)
    }

    /// The user who is only a document user in one organization, and that organization: the
    /// user before the last, when there are at least three users and two organizations.
    pub fn document_only_user(&self) -> Option<(String, String)> {
        let u = self.doc_only_user()?;
        let o = self.doc_only_org(u)?;
        Some((user_id(u), org_id(o)))
    }

    /// The users of the documents of an organization that are not its members (see
    /// [`Dataset::document_only_user`]), in user-id order.
    pub fn document_only_users_of(&self, organization_id: &str) -> Vec<SeededUser> {
        match self.org_index(organization_id) {
            Some(o) => self
                .doc_only_indexes(o)
                .map(|u| self.seeded_user(u))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The documents of a folder of an organization (two a folder); empty when unknown.
    pub fn documents_of_folder(&self, organization_id: &str, folder_id: &str) -> Vec<String> {
        match self.org_index(organization_id) {
            Some(o) => (0..self.documents)
                .filter(|&d| folder_id_of(o, d) == folder_id)
                .map(|d| doc_id(o, d))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The documents of an organization a user can open (members: at least one; the
    /// document-only user: exactly one); empty when the user has no data there.
    pub fn documents_of_user(&self, organization_id: &str, user_id: &str) -> Vec<String> {
        match self.member(organization_id, user_id) {
            Some((o, u)) => self
                .user_docs(o, u)
                .into_iter()
                .map(|d| doc_id(o, d))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The members of an organization, in user-id order; empty for an unknown organization.
    pub fn users_of(&self, organization_id: &str) -> Vec<SeededUser> {
        match self.org_index(organization_id) {
            Some(o) => self
                .member_indexes(o)
                .map(|u| self.seeded_user(u))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The user with this id, if it was seeded.
    pub fn user(&self, user_id: &str) -> Option<SeededUser> {
        self.user_index(user_id).map(|u| self.seeded_user(u))
    }

    /// The exact items an export of `user_id` in `organization_id` returns, grouped feature
    /// by feature in [`Feature::ALL`] order, item by item in page order (not the order an
    /// export yields them: see [`Dataset::expected_items_in_export_order`]).
    ///
    /// Empty when the user does not belong to the organization (or either is unknown).
    /// Items are generated lazily, one per call to `next`.
    pub fn expected_items(
        &self,
        organization_id: &str,
        user_id: &str,
    ) -> impl Iterator<Item = (Feature, Map<String, Value>)> + '_ {
        let (count, (o, u)) = self.items_of(organization_id, user_id);
        Feature::ALL.into_iter().flat_map(move |feature| {
            (0..count).map(move |i| (feature, self.item_at(o, u, feature, i)))
        })
    }

    /// The same items as [`Dataset::expected_items`], in the order an export yields them:
    /// page by page (up to [`crate::PAGE_SIZE`] items of each feature per page), and within a
    /// page feature by feature in [`Feature::ALL`] order. Compare an export's items with this
    /// without sorting.
    pub fn expected_items_in_export_order(
        &self,
        organization_id: &str,
        user_id: &str,
    ) -> impl Iterator<Item = (Feature, Map<String, Value>)> + '_ {
        let (count, (o, u)) = self.items_of(organization_id, user_id);
        let page_size = PAGE_SIZE;
        (0..count.div_ceil(page_size)).flat_map(move |page| {
            let (start, end) = (page * page_size, ((page + 1) * page_size).min(count));
            Feature::ALL.into_iter().flat_map(move |feature| {
                (start..end).map(move |i| (feature, self.item_at(o, u, feature, i)))
            })
        })
    }

    /// How many items of each feature `user_id` has in `organization_id` (none when not a
    /// member), and the pair of indexes that seeds them.
    fn items_of(&self, organization_id: &str, user_id: &str) -> (usize, (usize, usize)) {
        match self.member(organization_id, user_id) {
            Some(pair) => (self.items_per_feature, pair),
            None => (0, (0, 0)),
        }
    }

    /// Item `index` of `feature` for `user_id` in `organization_id`, if it exists.
    pub fn item(
        &self,
        organization_id: &str,
        user_id: &str,
        feature: Feature,
        index: usize,
    ) -> Option<Map<String, Value>> {
        let (o, u) = self.member(organization_id, user_id)?;
        (index < self.items_per_feature).then(|| self.item_at(o, u, feature, index))
    }

    // ---- crate-internal, index based -------------------------------------------------

    /// `(organization, user)` of the items that point at served files.
    pub(crate) fn files_pair(&self) -> Option<(usize, usize)> {
        let u = self.multi_user()?;
        Some((*self.data_orgs(u).first()?, u))
    }

    /// Files actually named: seven at most per item of each feature.
    fn file_count(&self) -> usize {
        self.files.min(self.items_per_feature.saturating_mul(7))
    }

    fn seeded_file(&self, o: usize, u: usize, kind: FileKind, slot: usize) -> SeededFile {
        let path = format!(
            "/files/{}/{}/{}{}-{}",
            org_id(o),
            user_id(u),
            kind.letter(),
            slot + 1,
            kind.name()
        );
        let len = if kind == FileKind::Transcript {
            vtt_text(slot).len() as u64
        } else {
            1024 + hash(&[self.seed, hash_str(&path)]) % (7 * 1024)
        };
        SeededFile {
            url: format!("{}{path}", self.files_origin),
            path,
            content_type: kind.content_type(),
            len,
            organization_id: org_id(o),
            user_id: user_id(u),
            feature: kind.feature(),
            item_index: slot,
            pointer: kind.pointer(),
        }
    }

    fn big_file(&self, o: usize, u: usize) -> Option<SeededFile> {
        let path = format!("/files/{}/{}/{BIG_FILE_NAME}", org_id(o), user_id(u));
        (self.big_file_bytes > 0 && self.items_per_feature > 0).then(|| SeededFile {
            url: format!("{}{path}", self.files_origin),
            path,
            content_type: "video/webm",
            len: self.big_file_bytes,
            organization_id: org_id(o),
            user_id: user_id(u),
            feature: Feature::Recordings,
            item_index: 0,
            pointer: if self.file_count() > FileKind::RecordingAttachment as usize {
                "/attachments/1/url"
            } else {
                "/attachments/0/url"
            },
        })
    }

    /// The file fields of item `i` of `feature` of the person with files: a voice comment,
    /// attachments and a recorder's files on comments, an attachment and a transcript on
    /// recordings; the link off any allow-list on the first comment.
    fn add_file_fields(
        &self,
        o: usize,
        u: usize,
        feature: Feature,
        i: usize,
        item: &mut Map<String, Value>,
    ) {
        if self.files_pair() != Some((o, u)) {
            return;
        }
        let file = |kind: FileKind| {
            (i * 7 + (kind as usize) < self.file_count()).then(|| self.seeded_file(o, u, kind, i))
        };
        match feature {
            Feature::Comments => {
                let Some(Value::Object(comment)) =
                    item.get_mut("comments").and_then(|c| c.get_mut(0))
                else {
                    return;
                };
                if let Some(voice) = file(FileKind::Voice) {
                    comment.insert("type".into(), json!("voice"));
                    comment.insert("commentVoiceUrl".into(), json!(voice.url));
                }
                let mut attachments = Vec::new();
                if let Some(a) = file(FileKind::Attachment) {
                    attachments.push(json!({
                        "attachmentId": 700_000 + i,
                        "name": format!("Entwurf {} — Anhang.pdf", i + 1),
                        "bucketPath": format!("attachments{}", a.path),
                        "size": a.len,
                        "type": "pdf",
                        "mimeType": a.content_type,
                        "url": a.url,
                    }));
                }
                if i == 0 {
                    attachments.push(json!({
                        "attachmentId": 799_999,
                        "name": "outside.png",
                        "size": 1234,
                        "type": "image",
                        "mimeType": "image/png",
                        "url": UNSERVED_FILE_URL,
                    }));
                }
                if !attachments.is_empty() {
                    comment.insert("attachments".into(), Value::Array(attachments));
                }
                let mut recorder = Map::new();
                for (kind, field) in [
                    (FileKind::Video, "videoUrl"),
                    (FileKind::Audio, "audioUrl"),
                    (FileKind::Thumbnail, "thumbnailUrl"),
                ] {
                    if let Some(f) = file(kind) {
                        recorder.insert(field.into(), json!(f.url));
                    }
                }
                if !recorder.is_empty() {
                    recorder.insert("id".into(), json!(format!("recorder-{}", i + 1)));
                    recorder.insert(
                        "tag".into(),
                        json!(format!(
                            "<velt-video-player recorder-id=\"recorder-{}\"></velt-video-player>",
                            i + 1
                        )),
                    );
                    recorder.insert("type".into(), json!("video"));
                    comment.insert("recorders".into(), json!([Value::Object(recorder)]));
                }
            }
            Feature::Recordings => {
                let mut attachments = Vec::new();
                if let Some(a) = file(FileKind::RecordingAttachment) {
                    attachments.push(json!({
                        "attachmentId": 800_000 + i,
                        "name": format!("Aufnahme {}.webm", i + 1),
                        "size": a.len,
                        "mimeType": a.content_type,
                        "url": a.url,
                    }));
                }
                if i == 0
                    && let Some(big) = self.big_file(o, u)
                {
                    attachments.push(json!({
                        "attachmentId": 899_999,
                        "name": "big.webm",
                        "size": big.len,
                        "mimeType": big.content_type,
                        "url": big.url,
                    }));
                }
                if !attachments.is_empty() {
                    item.insert("attachments".into(), Value::Array(attachments));
                }
                if let Some(t) = file(FileKind::Transcript)
                    && let Some(Value::Object(transcription)) = item.get_mut("transcription")
                {
                    transcription.insert("vttUrl".into(), json!(t.url));
                    transcription.insert(
                        "vttBucketPath".into(),
                        json!(format!("transcripts{}", t.path)),
                    );
                }
            }
            Feature::Reactions | Feature::Notifications => {}
        }
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// The API key Velt copies into the metadata of activity records and settings.
    pub(crate) fn api_key(&self) -> &str {
        &self.api_key
    }

    /// `(organization index, user index)` when the user has data in the organization (is a
    /// member, or a document-only user there).
    pub(crate) fn member(&self, organization_id: &str, user_id: &str) -> Option<(usize, usize)> {
        let o = self.org_index(organization_id)?;
        let u = self.user_index(user_id)?;
        self.data_orgs(u).contains(&o).then_some((o, u))
    }

    pub(crate) fn user_count(&self) -> usize {
        self.users
    }

    pub(crate) fn organizations(&self) -> usize {
        self.organizations
    }

    pub(crate) fn documents(&self) -> usize {
        self.documents
    }

    pub(crate) fn multi_user(&self) -> Option<usize> {
        (self.users >= 2 && self.organizations >= 3).then(|| self.users - 1)
    }

    fn doc_only_user(&self) -> Option<usize> {
        (self.users >= 3 && self.organizations >= 2).then(|| self.users - 2)
    }

    /// The organization where user `u` is a document user only, if any.
    fn doc_only_org(&self, u: usize) -> Option<usize> {
        if Some(u) != self.doc_only_user() {
            return None;
        }
        let member_of = self.user_orgs(u);
        (1..self.organizations)
            .map(|step| (u % self.organizations + step) % self.organizations)
            .find(|o| !member_of.contains(o))
    }

    /// Organizations user `u` has data in: its own and the document-only one, sorted.
    pub(crate) fn data_orgs(&self, u: usize) -> Vec<usize> {
        let mut orgs = self.user_orgs(u);
        if let Some(o) = self.doc_only_org(u) {
            orgs.push(o);
            orgs.sort_unstable();
        }
        orgs
    }

    /// Users that are document users of organization `o` without being its members.
    pub(crate) fn doc_only_indexes(&self, o: usize) -> impl Iterator<Item = usize> + '_ {
        self.doc_only_user()
            .filter(move |&u| self.doc_only_org(u) == Some(o))
            .into_iter()
    }

    pub(crate) fn folder_index(&self, o: usize, id: &str) -> Option<usize> {
        (0..self.documents.div_ceil(2)).find(|&f| folder_id(o, f) == id)
    }

    pub(crate) fn seeded_organization(&self, o: usize) -> SeededOrganization {
        let h = hash(&[self.seed, 0x0e9, o as u64]);
        let name = ORGANIZATION_NAMES[(h % ORGANIZATION_NAMES.len() as u64) as usize];
        SeededOrganization {
            id: org_id(o),
            organization_name: format!("{name} {}", o + 1),
            disabled: o % 7 == 6,
        }
    }

    /// Organization `o` as Get Organizations answers it, with a few metadata fields beside
    /// the documented three (the page says others may come).
    pub(crate) fn organization_json(&self, o: usize) -> Value {
        let org = self.seeded_organization(o);
        let mut rng = Rng::new(&[self.seed, 0x0e9a, o as u64]);
        json!({
            "id": org.id,
            "organizationName": org.organization_name,
            "disabled": org.disabled,
            "createdAt": EPOCH_BASE_MS + rng.below(YEAR_MS),
            "metadata": { "plan": pick(&mut rng, &["free", "team", "enterprise"]), "region": pick(&mut rng, &["eu", "us", "ap"]) },
        })
    }

    pub(crate) fn org_index(&self, id: &str) -> Option<usize> {
        parse_id(id, "org-").filter(|&o| o < self.organizations)
    }

    pub(crate) fn user_index(&self, id: &str) -> Option<usize> {
        parse_id(id, "user-").filter(|&u| u < self.users)
    }

    pub(crate) fn doc_index(&self, o: usize, id: &str) -> Option<usize> {
        (0..self.documents).find(|&d| doc_id(o, d) == id)
    }

    /// Organizations of user `u`: its primary one, and a second one for about a quarter of
    /// the users when there are several organizations; three for the multi-organization user.
    pub(crate) fn user_orgs(&self, u: usize) -> Vec<usize> {
        let primary = u % self.organizations;
        if Some(u) == self.multi_user() {
            let mut orgs: Vec<usize> = (0..3).map(|k| (primary + k) % self.organizations).collect();
            orgs.sort_unstable();
            return orgs;
        }
        let mut orgs = vec![primary];
        let h = hash(&[self.seed, 0x5ec0, u as u64]);
        if self.organizations > 1 && h.is_multiple_of(4) {
            let step = 1 + (h >> 8) as usize % (self.organizations - 1);
            orgs.push((primary + step) % self.organizations);
            orgs.sort_unstable();
        }
        orgs
    }

    pub(crate) fn member_indexes(&self, o: usize) -> impl Iterator<Item = usize> + '_ {
        let index = self.members.0.get_or_init(|| {
            let mut members = vec![Vec::new(); self.organizations];
            for u in 0..self.users {
                for o in self.user_orgs(u) {
                    members[o].push(u);
                }
            }
            members
        });
        index.get(o).into_iter().flatten().copied()
    }

    /// Documents of organization `o` that user `u` can access (at least one; exactly one
    /// where `u` is a document-only user).
    pub(crate) fn user_docs(&self, o: usize, u: usize) -> Vec<usize> {
        if self.doc_only_org(u) == Some(o) {
            return vec![u % self.documents];
        }
        (0..self.documents)
            .filter(|&d| {
                d == u % self.documents
                    || hash(&[self.seed, 0xd0c, o as u64, u as u64, d as u64]).is_multiple_of(2)
            })
            .collect()
    }

    /// The organization user group of user `u` in organization `o`.
    pub(crate) fn user_group(&self, o: usize, u: usize) -> &'static str {
        GROUPS[(hash(&[self.seed, 0x6409, o as u64, u as u64]) % GROUPS.len() as u64) as usize]
    }

    pub(crate) fn seeded_user(&self, u: usize) -> SeededUser {
        if Some(u) == self.multi_user() {
            return SeededUser {
                user_id: user_id(u),
                name: "Jane Doe".into(),
                email: "Jane.Doe@Example.com".into(),
            };
        }
        let h = hash(&[self.seed, 0x05e4, u as u64]);
        let (first, first_ascii) = FIRST_NAMES[(h % 16) as usize];
        let (last, last_ascii) = LAST_NAMES[((h >> 8) % 16) as usize];
        // About a third of the addresses come in mixed case, as people type them.
        let email = if (h >> 16).is_multiple_of(3) || Some(u) == self.doc_only_user() {
            format!(
                "{}.{}.{}@Example.com",
                capitalized(first_ascii),
                capitalized(last_ascii),
                u + 1
            )
        } else {
            format!("{first_ascii}.{last_ascii}.{}@example.com", u + 1)
        };
        SeededUser {
            user_id: user_id(u),
            name: format!("{first} {last}"),
            email,
        }
    }

    pub(crate) fn user_json(&self, u: usize) -> Value {
        let user = self.seeded_user(u);
        json!({ "userId": user.user_id, "name": user.name, "email": user.email })
    }

    fn user_json_with_extras(&self, u: usize, rng: &mut Rng) -> Value {
        let mut value = self.user_json(u);
        if let Value::Object(map) = &mut value {
            map.insert(
                "color".into(),
                json!(format!("#{:06x}", rng.next() & 0xff_ffff)),
            );
            map.insert(
                "photoUrl".into(),
                json!(format!("https://avatars.example.com/{}.png", u + 1)),
            );
            map.insert("isAdmin".into(), json!(rng.below(5) == 0));
        }
        value
    }

    /// Another user of the workspace to appear next to `u` (may be `u` when it is alone).
    fn other_user(&self, u: usize, rng: &mut Rng) -> usize {
        if self.users <= 1 {
            return u;
        }
        let v = rng.below(self.users as u64 - 1) as usize;
        if v >= u { v + 1 } else { v }
    }

    fn page_info(&self, o: usize, d: usize, rng: &mut Rng) -> Value {
        let title = DOCUMENT_TITLES[(o * 7 + d) % DOCUMENT_TITLES.len()];
        let path = format!("/workspace/{}/{}", org_id(o), doc_id(o, d));
        json!({
            "url": format!("https://app.example.com{path}?tab=review"),
            "path": path,
            "baseUrl": "https://app.example.com",
            "title": title,
            "screenWidth": pick(rng, &[1280, 1440, 1920]),
        })
    }

    /// The first draws of item `i` of `feature` of user `u` in organization `o`: its document,
    /// times and id (cheap: other stores point at items by these without building them).
    pub(crate) fn item_head(&self, o: usize, u: usize, feature: Feature, i: usize) -> ItemHead {
        let mut rng = Rng::new(&[self.seed, o as u64, u as u64, feature.tag(), i as u64]);
        let docs = self.user_docs(o, u);
        let document = docs[rng.below(docs.len() as u64) as usize];
        let created = EPOCH_BASE_MS + rng.below(YEAR_MS);
        let updated = created + rng.below(30 * 24 * 3600 * 1000);
        let id = format!(
            "{}{}",
            random_id(&mut rng, 12),
            unique_suffix(o, u, feature, i)
        );
        ItemHead {
            rng,
            document,
            created,
            updated,
            id,
        }
    }

    /// Item `i` of `feature` of user `u` in organization `o`, derived from
    /// `(seed, o, u, feature, i)` only.
    pub(crate) fn item_at(
        &self,
        o: usize,
        u: usize,
        feature: Feature,
        i: usize,
    ) -> Map<String, Value> {
        let ItemHead {
            mut rng,
            document: d,
            created,
            updated,
            id,
        } = self.item_head(o, u, feature, i);
        let mut item = Map::new();
        item.insert("organizationId".into(), json!(org_id(o)));
        item.insert("documentId".into(), json!(doc_id(o, d)));
        let text = |rng: &mut Rng| TEXTS[rng.below(TEXTS.len() as u64) as usize];
        match feature {
            Feature::Comments => {
                let author = if rng.below(10) < 7 {
                    u
                } else {
                    self.other_user(u, &mut rng)
                };
                let n = 1 + rng.below(3) as usize;
                let mut comments = Vec::with_capacity(n);
                let mut at = created;
                for c in 0..n {
                    // The user always takes part: first comment by the author, then the
                    // user and someone else take turns.
                    let from = match c {
                        0 => author,
                        c if c % 2 == 1 => u,
                        _ => self.other_user(u, &mut rng),
                    };
                    let body = text(&mut rng);
                    comments.push(json!({
                        "commentId": 100_000 + rng.below(900_000),
                        "type": "text",
                        "commentText": body,
                        "commentHtml": format!("<p>{}</p>", html_escape(body)),
                        "from": self.user_json_with_extras(from, &mut rng),
                        "to": if rng.below(2) == 0 { json!([self.user_json(self.other_user(u, &mut rng))]) } else { json!([]) },
                        "createdAt": at,
                        "lastUpdated": iso_ms(at + rng.below(3_600_000)),
                        "isEdited": rng.below(4) == 0,
                        "reactionAnnotationIds": [],
                    }));
                    at += 1 + rng.below(86_400_000);
                }
                let status = pick(&mut rng, &["OPEN", "IN_PROGRESS", "RESOLVED"]);
                item.insert("annotationId".into(), json!(id));
                item.insert("type".into(), json!("comment"));
                item.insert("annotationNumber".into(), json!(i + 1));
                item.insert("from".into(), self.user_json_with_extras(author, &mut rng));
                item.insert("comments".into(), Value::Array(comments));
                item.insert(
                    "status".into(),
                    json!({ "id": status, "name": status.to_lowercase(), "type": if status == "RESOLVED" { "terminal" } else { "default" }, "color": "#625DF5" }),
                );
                item.insert(
                    "priority".into(),
                    if rng.below(3) == 0 {
                        Value::Null
                    } else {
                        json!({ "id": "P1", "name": "P1", "color": "#FF7162" })
                    },
                );
                item.insert("createdAt".into(), json!(created));
                item.insert("lastUpdated".into(), json!(iso_ms(updated)));
                item.insert("location".into(), json!({ "id": format!("section-{}", 1 + rng.below(9)), "locationName": format!("Chapter {} — Überblick", 1 + rng.below(9)) }));
                item.insert("pageInfo".into(), self.page_info(o, d, &mut rng));
                item.insert(
                    "targetElement".into(),
                    json!({ "elementId": null, "targetText": text(&mut rng), "xpath": format!("/html/body/div[{}]/p[{}]", 1 + rng.below(5), 1 + rng.below(20)) }),
                );
                item.insert("position".into(), json!({ "x": rng.below(10_000) as f64 / 10.0, "y": rng.below(10_000) as f64 / 10.0 }));
                item.insert("context".into(), json!({ "access": { "organizationUserGroupIds": [self.user_group(o, u)] }, "customField": i % 3 }));
                item.insert("isDraft".into(), json!(false));
            }
            Feature::Reactions => {
                let icon = REACTION_ICONS[rng.below(REACTION_ICONS.len() as u64) as usize];
                let others = rng.below(3) as usize;
                let mut reactors =
                    vec![json!({ "from": self.user_json(u), "icon": icon, "createdAt": created })];
                for _ in 0..others {
                    let v = self.other_user(u, &mut rng);
                    reactors.push(json!({ "from": self.user_json(v), "icon": icon, "createdAt": created + rng.below(3_600_000) }));
                }
                item.insert("annotationId".into(), json!(id));
                item.insert("type".into(), json!("reaction"));
                item.insert("icon".into(), json!(icon));
                item.insert("from".into(), self.user_json_with_extras(u, &mut rng));
                item.insert("reactions".into(), Value::Array(reactors));
                item.insert("createdAt".into(), json!(created));
                item.insert("lastUpdated".into(), json!(iso_ms(updated)));
                item.insert("pageInfo".into(), self.page_info(o, d, &mut rng));
                item.insert(
                    "targetInlineReactionElementId".into(),
                    json!(format!("reaction-target-{}", rng.below(50))),
                );
            }
            Feature::Recordings => {
                let kind = pick(&mut rng, &["audio", "video", "screen"]);
                let duration_ms = 1_000 + rng.below(600_000);
                let size = 10_000 + rng.below(50_000_000);
                let attachment_id = rng.below(1 << 40);
                item.insert("annotationId".into(), json!(id));
                item.insert("type".into(), json!("recording"));
                item.insert("recordingType".into(), json!(kind));
                item.insert(
                    "mode".into(),
                    json!(pick(&mut rng, &["floating", "thread"])),
                );
                item.insert("from".into(), self.user_json_with_extras(u, &mut rng));
                item.insert(
                    "recordedTime".into(),
                    json!({ "duration": duration_ms, "display": format!("{:02}:{:02}", duration_ms / 60_000, duration_ms / 1000 % 60) }),
                );
                item.insert(
                    "attachment".into(),
                    json!({
                        "attachmentId": attachment_id,
                        "name": format!("Aufnahme {} — {}.webm", i + 1, kind),
                        "mimeType": if kind == "audio" { "audio/webm" } else { "video/webm" },
                        "size": size,
                        "url": format!("https://storage.example.com/recordings/{}/{}.webm", org_id(o), attachment_id),
                    }),
                );
                item.insert(
                    "transcription".into(),
                    json!({ "transcriptedText": text(&mut rng), "language": "und" }),
                );
                item.insert("createdAt".into(), json!(created));
                item.insert("lastUpdated".into(), json!(iso_ms(updated)));
                item.insert("pageInfo".into(), self.page_info(o, d, &mut rng));
                // Larger than 2^53: survives only when numbers are kept exactly.
                item.insert(
                    "storageGeneration".into(),
                    json!(9_007_199_254_740_993u64 + rng.below(1_000_000)),
                );
            }
            Feature::Notifications => {
                let actor = self.other_user(u, &mut rng);
                let source = pick(&mut rng, &["comment", "reaction", "recording", "custom"]);
                let title = DOCUMENT_TITLES[(o * 7 + d) % DOCUMENT_TITLES.len()];
                let mut notify = Map::new();
                notify.insert(user_id(u), json!(true));
                item.insert("id".into(), json!(id));
                item.insert("notificationSource".into(), json!(source));
                item.insert(
                    "actionType".into(),
                    json!(pick(&mut rng, &["added", "updated", "mentioned"])),
                );
                item.insert("isUnread".into(), json!(rng.below(2) == 0));
                item.insert(
                    "displayHeadlineMessageTemplate".into(),
                    json!("{actionUser} commented on {documentName}"),
                );
                item.insert(
                    "displayHeadlineMessageTemplateData".into(),
                    json!({ "actionUser": self.user_json(actor), "recipientUser": self.user_json(u), "documentName": title }),
                );
                item.insert("displayBodyMessage".into(), json!(text(&mut rng)));
                item.insert("from".into(), self.user_json_with_extras(actor, &mut rng));
                item.insert("notifyUsers".into(), Value::Object(notify));
                item.insert("timestamp".into(), json!(created));
                item.insert("createdAt".into(), json!(iso_ms(created)));
                item.insert("metadata".into(), json!({ "documentName": title, "annotationNumber": rng.below(500), "apiKeyHash": format!("{:016x}", hash(&[self.seed])) }));
            }
        }
        self.add_file_fields(o, u, feature, i, &mut item);
        item
    }
}

/// The origin of the file URLs of a dataset not served by a fake.
const DEFAULT_FILES_ORIGIN: &str = "http://127.0.0.1";

/// The big file's name, under the person's folder.
const BIG_FILE_NAME: &str = "big.webm";

/// The URL of an attachment of the first comment of the person with files that points off
/// any allow-list (`.invalid` never resolves): a file a downloader must not fetch.
pub const UNSERVED_FILE_URL: &str = "https://files.example.invalid/x.png";

/// A file the fake serves (`GET /files/...`, no credentials needed), and the exported item
/// field that names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededFile {
    /// The path on the fake, e.g. `/files/org-0001/user-0012/c1-voice.webm`.
    pub path: String,
    /// The absolute URL in the exported item: [`Dataset::files_origin`] and the path.
    pub url: String,
    /// The `Content-Type` the fake answers with.
    pub content_type: &'static str,
    /// The length in bytes.
    pub len: u64,
    /// The organization of the item that names the file.
    pub organization_id: String,
    /// The user whose export has the item.
    pub user_id: String,
    /// The item's feature (comments or recordings).
    pub feature: Feature,
    /// The item's index in [`Dataset::item`] (and in the export of that feature).
    pub item_index: usize,
    /// The JSON pointer of the URL field inside the item, e.g. `/comments/0/commentVoiceUrl`.
    pub pointer: &'static str,
}

/// The seven kinds of files, in the order files are handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Voice,
    Attachment,
    Video,
    Audio,
    Thumbnail,
    RecordingAttachment,
    Transcript,
}

impl FileKind {
    const ALL: [FileKind; 7] = [
        FileKind::Voice,
        FileKind::Attachment,
        FileKind::Video,
        FileKind::Audio,
        FileKind::Thumbnail,
        FileKind::RecordingAttachment,
        FileKind::Transcript,
    ];

    fn name(self) -> &'static str {
        match self {
            FileKind::Voice => "voice.webm",
            FileKind::Attachment => "attachment.pdf",
            FileKind::Video => "video.webm",
            FileKind::Audio => "audio.mp3",
            FileKind::Thumbnail => "thumbnail.png",
            FileKind::RecordingAttachment => "recording.webm",
            FileKind::Transcript => "transcript.vtt",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            FileKind::Voice => "audio/webm",
            FileKind::Attachment => "application/pdf",
            FileKind::Video | FileKind::RecordingAttachment => "video/webm",
            FileKind::Audio => "audio/mpeg",
            FileKind::Thumbnail => "image/png",
            FileKind::Transcript => "text/vtt; charset=utf-8",
        }
    }

    fn feature(self) -> Feature {
        match self {
            FileKind::RecordingAttachment | FileKind::Transcript => Feature::Recordings,
            _ => Feature::Comments,
        }
    }

    /// `c` for files of comments, `v` for files of recordings (as in item ids).
    fn letter(self) -> &'static str {
        match self.feature() {
            Feature::Recordings => "v",
            _ => "c",
        }
    }

    fn pointer(self) -> &'static str {
        match self {
            FileKind::Voice => "/comments/0/commentVoiceUrl",
            FileKind::Attachment => "/comments/0/attachments/0/url",
            FileKind::Video => "/comments/0/recorders/0/videoUrl",
            FileKind::Audio => "/comments/0/recorders/0/audioUrl",
            FileKind::Thumbnail => "/comments/0/recorders/0/thumbnailUrl",
            FileKind::RecordingAttachment => "/attachments/0/url",
            FileKind::Transcript => "/transcription/vttUrl",
        }
    }
}

/// The transcript of recording `slot` of the person with files.
fn vtt_text(slot: usize) -> String {
    format!(
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nGrüße aus Aufnahme {} — ça marche 👋\n\n00:00:02.500 --> 00:00:05.000\n<b>not markup</b> &amp; plain text\n",
        slot + 1
    )
}

/// `len` deterministic bytes of a file: the magic number of its type, then noise (a
/// transcript is its text).
fn file_content(seed: u64, path: &str, content_type: &str, len: u64) -> Vec<u8> {
    if content_type.starts_with("text/vtt") {
        let slot = path
            .rsplit('/')
            .next()
            .and_then(|name| name.strip_prefix('v'))
            .and_then(|rest| rest.split('-').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(1);
        return vtt_text(slot.saturating_sub(1)).into_bytes();
    }
    let magic: &[u8] = match content_type {
        "application/pdf" => b"%PDF-1.7\n",
        "audio/mpeg" => b"ID3\x04\x00",
        "image/png" => b"\x89PNG\r\n\x1a\n",
        _ => b"\x1a\x45\xdf\xa3",
    };
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let mut rng = Rng::new(&[seed, 0xf11e, hash_str(path)]);
    let mut bytes = Vec::with_capacity(len);
    bytes.extend_from_slice(&magic[..magic.len().min(len)]);
    while bytes.len() < len {
        let word = rng.next().to_le_bytes();
        let take = (len - bytes.len()).min(8);
        bytes.extend_from_slice(&word[..take]);
    }
    bytes
}

/// The first draws of an item (see [`Dataset::item_head`]); `rng` goes on with the rest.
pub(crate) struct ItemHead {
    pub(crate) rng: Rng,
    pub(crate) document: usize,
    pub(crate) created: u64,
    pub(crate) updated: u64,
    pub(crate) id: String,
}

/// `org-0001` for index 0.
pub(crate) fn org_id(o: usize) -> String {
    format!("org-{:04}", o + 1)
}

/// `user-0001` for index 0.
pub(crate) fn user_id(u: usize) -> String {
    format!("user-{:04}", u + 1)
}

/// `doc-0001-01` for organization index 0, document index 0.
pub(crate) fn doc_id(o: usize, d: usize) -> String {
    format!("doc-{:04}-{:02}", o + 1, d + 1)
}

/// `folder-0001-01` for organization index 0, folder index 0.
pub(crate) fn folder_id(o: usize, f: usize) -> String {
    format!("folder-{:04}-{:02}", o + 1, f + 1)
}

/// The folder of document `d` of organization `o`: two documents to a folder.
pub(crate) fn folder_id_of(o: usize, d: usize) -> String {
    folder_id(o, d / 2)
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The index encoded in an id like `org-0003`, accepting only the exact form we generate.
fn parse_id(id: &str, prefix: &str) -> Option<usize> {
    let digits = id.strip_prefix(prefix)?;
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 4 && digits.starts_with('0') {
        return None;
    }
    let n: usize = digits.parse().ok()?;
    n.checked_sub(1)
}

/// Makes item ids unique per (organization, user, feature, index) whatever the random
/// part is.
fn unique_suffix(o: usize, u: usize, feature: Feature, i: usize) -> String {
    let letter = match feature {
        Feature::Comments => 'c',
        Feature::Reactions => 'r',
        Feature::Recordings => 'v',
        Feature::Notifications => 'n',
    };
    format!("-{}-{}-{letter}{}", o + 1, u + 1, i + 1)
}

pub(crate) fn pick<T: Copy>(rng: &mut Rng, choices: &[T]) -> T {
    choices[rng.below(choices.len() as u64) as usize]
}

pub(crate) fn random_id(rng: &mut Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Formats milliseconds since the Unix epoch as `2024-03-05T12:34:56.789Z`.
pub(crate) fn iso_ms(ms: u64) -> String {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One splitmix64 step.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hash of a sequence of numbers, built from splitmix64.
pub(crate) fn hash(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x243f_6a88_85a3_08d3, |acc, &p| mix(acc ^ mix(p)))
}

/// FNV-1a of a string, to feed strings into [`hash`].
pub(crate) fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |acc, b| {
        (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A splitmix64 generator.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(parts: &[u64]) -> Rng {
        Rng(hash(parts))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_formatting_matches_known_dates() {
        assert_eq!(iso_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_ms(1_748_972_106_739), "2025-06-03T17:35:06.739Z");
        assert_eq!(iso_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn ids_round_trip_and_reject_variants() {
        let ds = Dataset::new(&FakeConfig {
            organizations: 3,
            users: 12_000,
            ..FakeConfig::default()
        });
        assert_eq!(ds.org_index("org-0003"), Some(2));
        assert_eq!(ds.org_index("org-0004"), None);
        assert_eq!(ds.org_index("org-3"), None);
        assert_eq!(ds.org_index("org-0000"), None);
        assert_eq!(ds.user_index("user-12000"), Some(11_999));
        assert_eq!(ds.user_index("user-012000"), None);
        assert_eq!(ds.user_index("user-+001"), None);
        assert_eq!(user_id(11_999), "user-12000");
    }

    #[test]
    fn items_are_deterministic_and_ids_unique() {
        let ds = Dataset::new(&FakeConfig::default());
        let a: Vec<_> = ds.expected_items("org-0001", "user-0001").collect();
        let b: Vec<_> = ds.expected_items("org-0001", "user-0001").collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 4 * ds.items_per_feature());
        let mut ids: Vec<_> = a
            .iter()
            .map(|(_, m)| m.get("annotationId").or_else(|| m.get("id")).cloned())
            .collect();
        ids.sort_by_key(|v| v.as_ref().map(|v| v.to_string()));
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before);
        assert!(ids.iter().all(Option::is_some));
        let other = Dataset::new(&FakeConfig {
            seed: 7,
            ..FakeConfig::default()
        });
        assert_ne!(
            other.item("org-0001", "user-0001", Feature::Comments, 0),
            a.first().map(|(_, m)| m.clone())
        );
    }

    #[test]
    fn non_members_have_no_items() {
        let ds = Dataset::new(&FakeConfig::default());
        // user-0001 has primary organization org-0001; find an organization it is not in.
        let orgs = ds.organizations_of("user-0001");
        let outsider = ds.organization_ids().find(|o| !orgs.contains(o));
        if let Some(o) = outsider {
            assert_eq!(ds.expected_items(&o, "user-0001").count(), 0);
        }
        assert_eq!(ds.expected_items("org-0001", "nobody").count(), 0);
    }
}

//! Exported data as the exact JSON text Velt sent: [`RawItem`] for one item, [`UserData`] for
//! the `data` of a page (the four known lists and any other key), and what is made of them:
//! [`Feature`], [`ExportItem`], [`ExportPage`], [`ExportSummary`].
//!
//! `build.rs` maps the spec's `UserDataItem` and `UserDataPage` schemas onto these two types,
//! so the generated client decodes a page straight into them: an item is checked to be
//! well-formed JSON and kept as text, never parsed into a tree and written again. Numbers
//! beyond `u64` or `f64`, `1.0` beside `1`, escapes and key order all survive to the export.

use std::{fmt, sync::Arc};

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{self, MapAccess, Visitor},
    ser::SerializeMap,
};
use serde_json::value::RawValue;

use crate::error::{Error, Operation, Result, snippet};

/// The kinds of data an export holds: the four Velt documents, in its order, and any other
/// key of a page's `data`, under its own name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// Comment annotations the user created or took part in.
    Comments,
    /// Reactions the user created.
    Reactions,
    /// Recordings the user created.
    Recordings,
    /// Notifications the user was involved in.
    Notifications,
    /// A key of `data` that this version of the crate does not know (the docs promise "user
    /// profile data" without naming its field). Its items are exported as they came.
    Other(Arc<str>),
}

impl Feature {
    /// The four Velt documents, in its order.
    pub const ALL: [Feature; 4] = [
        Feature::Comments,
        Feature::Reactions,
        Feature::Recordings,
        Feature::Notifications,
    ];

    /// The key in Velt's answer, e.g. `comments`.
    pub fn as_str(&self) -> &str {
        match self {
            Feature::Comments => "comments",
            Feature::Reactions => "reactions",
            Feature::Recordings => "recordings",
            Feature::Notifications => "notifications",
            Feature::Other(key) => key,
        }
    }

    /// The feature a key of `data` stands for: one of the four, or [`Feature::Other`].
    pub fn from_key(key: &str) -> Feature {
        match key {
            "comments" => Feature::Comments,
            "reactions" => Feature::Reactions,
            "recordings" => Feature::Recordings,
            "notifications" => Feature::Notifications,
            other => Feature::Other(other.into()),
        }
    }

    /// True for the four features Velt documents.
    pub fn is_known(&self) -> bool {
        self.known_index().is_some()
    }

    /// The place of a known feature in [`Feature::ALL`].
    pub(crate) fn known_index(&self) -> Option<usize> {
        match self {
            Feature::Comments => Some(0),
            Feature::Reactions => Some(1),
            Feature::Recordings => Some(2),
            Feature::Notifications => Some(3),
            Feature::Other(_) => None,
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Feature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Feature {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Feature, D::Error> {
        let key = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(Feature::from_key(&key))
    }
}

/// One page of a user's data: up to 100 items of each feature, any other key Velt sent, and
/// the token of the next page.
///
/// Items are kept exactly as Velt sent them, as JSON text ([`RawItem`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ExportPage {
    /// The lists of this page, and its other keys.
    pub data: UserData,
    /// The token of the next page; `None` on the last page (Velt's absent, `null` and empty
    /// token all read as `None`).
    pub next_page_token: Option<String>,
}

impl ExportPage {
    /// How many items the page holds, all features together.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the page holds no item (a page may be empty and still have a next page).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items of the page, each tagged with its feature, feature by feature (see
    /// [`UserData::into_items`]).
    pub fn into_items(self) -> impl Iterator<Item = ExportItem> {
        self.data
            .into_items()
            .map(|(feature, item)| ExportItem { feature, item })
    }
}

/// One exported item and the feature it belongs to. Serializes as
/// `{"feature":"comments","item":{...}}`, the line format of NDJSON exports, with the item's
/// text as Velt sent it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportItem {
    /// Which list (or other key) the item came from.
    pub feature: Feature,
    /// The item, exactly as Velt sent it.
    pub item: RawItem,
}

/// Counts of what an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportSummary {
    /// Pages read.
    pub pages: usize,
    /// Items written, all features and other keys together.
    pub items: usize,
    /// Items written per known feature, in [`Feature::ALL`] order.
    pub per_feature: [usize; 4],
    /// Items written per other key of `data`, in the order the keys were first seen.
    pub other: Vec<(String, usize)>,
}

impl ExportSummary {
    /// Counts one item of `feature`.
    pub fn count(&mut self, feature: &Feature) {
        self.add(feature, 1);
    }

    /// Counts `n` items of `feature` (an other key is listed once it has an item).
    fn add(&mut self, feature: &Feature, n: usize) {
        if n == 0 {
            return;
        }
        self.items += n;
        match feature.known_index() {
            Some(index) => self.per_feature[index] += n,
            None => match self
                .other
                .iter_mut()
                .find(|(key, _)| key == feature.as_str())
            {
                Some((_, count)) => *count += n,
                None => self.other.push((feature.as_str().to_owned(), n)),
            },
        }
    }

    /// Counts a page read and every item on it, without writing anything.
    pub fn count_page(&mut self, page: &ExportPage) {
        self.pages += 1;
        for (feature, list) in Feature::ALL.iter().zip([
            &page.data.comments,
            &page.data.reactions,
            &page.data.recordings,
            &page.data.notifications,
        ]) {
            self.add(feature, list.len());
        }
        for (key, value) in &page.data.other {
            self.add(&Feature::from_key(key), other_len(value));
        }
    }

    /// Items per feature: the four known ones (zero included), then the other keys.
    pub fn counts(&self) -> impl Iterator<Item = (&str, usize)> {
        Feature::ALL
            .iter()
            .zip(self.per_feature)
            .map(|(feature, n)| (feature.as_str(), n))
            .chain(self.other.iter().map(|(key, n)| (key.as_str(), *n)))
    }
}

/// One exported item, kept as the JSON text Velt sent, byte for byte.
///
/// Read it on demand: [`RawItem::as_str`] for the text, [`RawItem::parse`] into a type of
/// your own, [`RawItem::to_value`] for a `serde_json::Value`, [`RawItem::get`] for one field.
/// Debug and Display show the JSON text.
///
/// ```
/// use velt_api::export::RawItem;
///
/// let item = RawItem::from_json(r#"{"id":"c-1","big":12345678901234567890123,"n":1.0}"#)?;
/// assert_eq!(item.as_str(), r#"{"id":"c-1","big":12345678901234567890123,"n":1.0}"#);
/// assert_eq!(item.get("id"), Some(serde_json::json!("c-1")));
/// assert_eq!(item.field("big").map(|raw| raw.get()), Some("12345678901234567890123"));
///
/// #[derive(serde::Deserialize)]
/// struct Comment { id: String }
/// assert_eq!(item.parse::<Comment>()?.id, "c-1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct RawItem(Box<RawValue>);

impl RawItem {
    /// An item from JSON text, which is checked to be one well-formed JSON value and kept as
    /// given.
    pub fn from_json(text: impl Into<String>) -> Result<RawItem, serde_json::Error> {
        RawValue::from_string(text.into()).map(RawItem)
    }

    /// An item from any serializable value, written as compact JSON (for tests and fakes).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<RawItem, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(RawItem)
    }

    /// The JSON text exactly as Velt sent it.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The item as the raw value it is.
    pub fn as_raw(&self) -> &RawValue {
        &self.0
    }

    /// Parses the item into a type of your own.
    pub fn parse<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.as_str())
    }

    /// Parses the item into a `serde_json::Value`. Integers beyond `u64`/`i64` become floats
    /// there; the text ([`RawItem::as_str`]) keeps them exact.
    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(self.as_str())
    }

    /// The text of one top-level field, when the item is an object that has it.
    pub fn field(&self, name: &str) -> Option<&RawValue> {
        // The last of duplicate keys wins, as in serde_json's own maps.
        parse_fields(self.as_str())?
            .into_iter()
            .rev()
            .find_map(|(key, value)| (key == name).then_some(value))
    }

    /// One top-level field, parsed, when the item is an object that has it.
    pub fn get(&self, name: &str) -> Option<serde_json::Value> {
        self.field(name)
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    }

    /// A JSON array of these items, each copied as it is.
    pub(crate) fn join(items: &[RawItem]) -> Result<RawItem, serde_json::Error> {
        let mut text =
            String::with_capacity(2 + items.iter().map(|i| i.as_str().len() + 1).sum::<usize>());
        text.push('[');
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                text.push(',');
            }
            text.push_str(item.as_str());
        }
        text.push(']');
        RawItem::from_json(text)
    }

    /// The elements of the item when it is an array, each as its own raw text.
    pub(crate) fn elements(&self) -> Option<Vec<RawItem>> {
        if !self.as_str().starts_with('[') {
            return None;
        }
        serde_json::from_str::<Vec<Box<RawValue>>>(self.as_str())
            .ok()
            .map(|items| items.into_iter().map(RawItem).collect())
    }
}

/// The fields of a JSON object, in order, values as raw text.
fn parse_fields(text: &str) -> Option<Vec<(String, &RawValue)>> {
    struct Fields;
    impl<'de> Visitor<'de> for Fields {
        type Value = Vec<(String, &'de RawValue)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut fields = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                fields.push((key, map.next_value::<&'de RawValue>()?));
            }
            Ok(fields)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.deserialize_map(Fields).ok()
}

impl PartialEq for RawItem {
    /// Two items are equal when their texts are: `1.0` and `1` differ, as they do in the export.
    fn eq(&self, other: &RawItem) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RawItem {}

impl fmt::Debug for RawItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for RawItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RawItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawItem, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(RawItem)
    }
}

impl schemars::JsonSchema for RawItem {
    fn schema_name() -> String {
        "UserDataItem".to_owned()
    }

    /// Velt's objects have no published model: any object (kept as text).
    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut schema = schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::Object.into()),
            ..Default::default()
        };
        schema.object().additional_properties =
            Some(Box::new(schemars::schema::Schema::Bool(true)));
        schema.into()
    }
}

/// The `data` of an export page: the four lists Velt documents, and every other key it sent.
///
/// Velt's docs list "user profile data" among an export's contents without naming a field for
/// it; a key this crate does not know is kept in [`UserData::other`] under its own name, its
/// value as sent, never dropped. A page missing a known list reads as an empty list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserData {
    /// Comment annotations the user created or took part in.
    pub comments: Vec<RawItem>,
    /// Reactions the user created.
    pub reactions: Vec<RawItem>,
    /// Recordings the user created.
    pub recordings: Vec<RawItem>,
    /// Notifications the user was involved in.
    pub notifications: Vec<RawItem>,
    /// Keys this version of the crate does not know, in the order Velt sent them, each value
    /// as sent.
    pub other: Vec<(String, RawItem)>,
}

impl UserData {
    /// A known feature's list; `None` for [`Feature::Other`], whose items are in
    /// [`UserData::other`].
    pub fn list(&self, feature: &Feature) -> Option<&Vec<RawItem>> {
        match feature {
            Feature::Comments => Some(&self.comments),
            Feature::Reactions => Some(&self.reactions),
            Feature::Recordings => Some(&self.recordings),
            Feature::Notifications => Some(&self.notifications),
            Feature::Other(_) => None,
        }
    }

    /// A known feature's list, to change; `None` for [`Feature::Other`].
    pub fn list_mut(&mut self, feature: &Feature) -> Option<&mut Vec<RawItem>> {
        match feature {
            Feature::Comments => Some(&mut self.comments),
            Feature::Reactions => Some(&mut self.reactions),
            Feature::Recordings => Some(&mut self.recordings),
            Feature::Notifications => Some(&mut self.notifications),
            Feature::Other(_) => None,
        }
    }

    /// How many items the data holds: the four lists, and the items of other keys (an array's
    /// elements, or the value itself).
    pub fn len(&self) -> usize {
        let known = self.comments.len()
            + self.reactions.len()
            + self.recordings.len()
            + self.notifications.len();
        let other: usize = self.other.iter().map(|(_, v)| other_len(v)).sum();
        known + other
    }

    /// True when the data holds no item at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Gathers items, e.g. those of every page of an export, into one `UserData`: the known
    /// features' items into their lists, and each other key's items into one JSON array under
    /// that key (an array on a page contributes its elements, any other value itself), keys in
    /// the order first seen. Every item keeps its text.
    pub fn from_items(items: impl IntoIterator<Item = ExportItem>) -> Result<UserData> {
        let mut all = UserData::default();
        let mut other: Vec<(String, Vec<RawItem>)> = Vec::new();
        for ExportItem { feature, item } in items {
            match all.list_mut(&feature) {
                Some(list) => list.push(item),
                None => match other.iter_mut().find(|(key, _)| key == feature.as_str()) {
                    Some((_, items)) => items.push(item),
                    None => other.push((feature.as_str().to_owned(), vec![item])),
                },
            }
        }
        for (key, items) in other {
            let list = RawItem::join(&items).map_err(|e| {
                // Well-formed values joined by commas inside brackets are well-formed (and
                // raw values have no nesting limit), so this does not happen; were the JSON
                // reader ever to refuse the list, the answer Velt sent could not be held.
                Error::decode(
                    Operation::GetAllUserData,
                    http::StatusCode::OK,
                    format!("the items of \"{key}\" cannot be joined into one JSON list: {e}"),
                    snippet(items.first().map_or("", |i| i.as_str()).as_bytes()),
                )
            })?;
            all.other.push((key, list));
        }
        Ok(all)
    }

    /// Every item, tagged with its feature: the four lists in Velt's order, then the other
    /// keys in the order they came (an array's elements one by one, any other value as one
    /// item).
    pub fn into_items(self) -> impl Iterator<Item = (Feature, RawItem)> {
        let UserData {
            comments,
            reactions,
            recordings,
            notifications,
            other,
        } = self;
        let known = [
            (Feature::Comments, comments),
            (Feature::Reactions, reactions),
            (Feature::Recordings, recordings),
            (Feature::Notifications, notifications),
        ]
        .into_iter()
        .flat_map(|(feature, items)| items.into_iter().map(move |item| (feature.clone(), item)));
        let other = other.into_iter().flat_map(|(key, value)| {
            let feature = Feature::from_key(&key);
            other_items(&value)
                .into_iter()
                .map(move |item| (feature.clone(), item))
        });
        known.chain(other)
    }
}

/// How many items an unknown key stands for, counted without copying them.
pub(crate) fn other_len(value: &RawItem) -> usize {
    if !value.as_str().starts_with('[') {
        return 1;
    }
    serde_json::from_str::<Vec<serde::de::IgnoredAny>>(value.as_str())
        .map_or(1, |items| items.len())
}

/// The items an unknown key stands for: an array's elements, or the value itself.
fn other_items(value: &RawItem) -> Vec<RawItem> {
    value.elements().unwrap_or_else(|| vec![value.clone()])
}

impl Serialize for UserData {
    /// The four lists always, empty ones included, then the other keys as sent.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4 + self.other.len()))?;
        map.serialize_entry("comments", &self.comments)?;
        map.serialize_entry("reactions", &self.reactions)?;
        map.serialize_entry("recordings", &self.recordings)?;
        map.serialize_entry("notifications", &self.notifications)?;
        for (key, value) in &self.other {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for UserData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<UserData, D::Error> {
        struct Page;
        impl<'de> Visitor<'de> for Page {
            type Value = UserData;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of feature lists")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UserData, A::Error> {
                let mut data = UserData::default();
                while let Some(key) = map.next_key::<String>()? {
                    let feature = Feature::from_key(&key);
                    match data.list_mut(&feature) {
                        // A known key twice: both lists are kept, in order. `null` reads as
                        // an empty list.
                        Some(list) => {
                            let items = map.next_value::<Option<Vec<RawItem>>>()?;
                            let items = items.unwrap_or_default();
                            // The spec's items are objects; anything else is not Velt's page.
                            if let Some((n, item)) = items
                                .iter()
                                .enumerate()
                                .find(|(_, i)| !i.as_str().starts_with('{'))
                            {
                                return Err(de::Error::custom(format!(
                                    "{key}[{n}]: expected a JSON object, found {}",
                                    crate::error::snippet(item.as_str().as_bytes())
                                )));
                            }
                            list.extend(items);
                        }
                        None => {
                            let value = map.next_value::<RawItem>()?;
                            data.other.push((key, value));
                        }
                    }
                }
                Ok(data)
            }
        }
        deserializer.deserialize_map(Page)
    }
}

impl schemars::JsonSchema for UserData {
    fn schema_name() -> String {
        "UserDataPage".to_owned()
    }

    /// The four lists, and any other key (kept as sent).
    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut schema = schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::Object.into()),
            ..Default::default()
        };
        let object = schema.object();
        for feature in Feature::ALL {
            object.properties.insert(
                feature.as_str().to_owned(),
                generator.subschema_for::<Vec<RawItem>>(),
            );
        }
        object.additional_properties = Some(Box::new(schemars::schema::Schema::Bool(true)));
        schema.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_list_that_is_not_a_list_of_objects_is_an_error_naming_where() {
        let decode = |text: &str| {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let err =
                serde_path_to_error::deserialize::<_, UserData>(&mut deserializer).unwrap_err();
            format!("{}: {}", err.path(), err.inner())
        };
        let err = decode(r#"{"comments":{"id":"c1"}}"#);
        assert!(err.starts_with("comments: invalid type: map"), "{err}");
        let err = decode(r#"{"reactions":[{},7]}"#);
        assert!(
            err.starts_with(".: reactions[1]: expected a JSON object, found 7"),
            "{err}"
        );
    }
}

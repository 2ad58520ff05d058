//! Calendar arithmetic for deadlines, and dates in words.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};

/// The date `months` calendar months after `date`, clamped to the end of the target month
/// (GDPR Art. 12(3): "within one month of receipt").
///
/// ```
/// use chrono::NaiveDate;
/// use velt_case::dates::add_months;
///
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// assert_eq!(add_months(d(2026, 1, 31), 1), d(2026, 2, 28));
/// assert_eq!(add_months(d(2028, 1, 31), 1), d(2028, 2, 29));
/// assert_eq!(add_months(d(2026, 12, 15), 1), d(2027, 1, 15));
/// ```
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    // chrono clamps to the last day of the month; it fails only past year 262143.
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The answer's due date for a request received on `received`: one calendar month later,
/// clamped to the month's end.
///
/// ```
/// use chrono::NaiveDate;
/// use velt_case::dates::due_date;
///
/// let received = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
/// assert_eq!(due_date(received).to_string(), "2026-02-28");
/// ```
pub fn due_date(received: NaiveDate) -> NaiveDate {
    add_months(received, 1)
}

/// A time in words a person reads, in UTC: `3 March 2026, 14:05 UTC`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use velt_case::dates::time_in_words;
///
/// let t = Utc.with_ymd_and_hms(2026, 3, 3, 14, 5, 9).unwrap();
/// assert_eq!(time_in_words(t), "3 March 2026, 14:05 UTC");
/// ```
pub fn time_in_words(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// A date in words: `28 February 2026`.
pub fn date_in_words(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), d.format("%B"), d.year())
}

/// The deadline in words: `due 28 February 2026, 3 days left`, `... overdue by 2 days`,
/// `due today, ...`, or `closed (was due ...)` when `days_left` is `None`.
pub(crate) fn deadline_in_words(due: NaiveDate, days_left: Option<i64>) -> String {
    let due_words = date_in_words(due);
    match days_left {
        None => format!("closed (was due {due_words})"),
        Some(0) => format!("due today, {due_words}"),
        Some(1) => format!("due {due_words}, 1 day left"),
        Some(-1) => format!("due {due_words}, overdue by 1 day"),
        Some(d) if d > 0 => format!("due {due_words}, {d} days left"),
        Some(d) => format!("due {due_words}, overdue by {} days", -d),
    }
}

/// Reads a timestamp as Velt sends it, tolerantly: epoch milliseconds (a number, or seconds
/// when it is too small to be milliseconds after 1973), an ISO 8601 / RFC 3339 string, or a
/// Firestore-like `{"_seconds": S, "_nanoseconds": N}` / `{"seconds": S}` object. `None` for
/// anything else.
pub(crate) fn parse_timestamp(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            let x = n.as_f64()?;
            if !x.is_finite() || x <= 0.0 {
                return None;
            }
            // 1e11 ms is 1973-03-03; anything smaller is taken as seconds.
            let ms = if x < 1e11 { x * 1000.0 } else { x };
            if ms > 253_402_300_799_000.0 {
                return None; // after 9999-12-31
            }
            Utc.timestamp_millis_opt(ms as i64).single()
        }
        Value::String(s) => {
            let s = s.trim();
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Some(t.with_timezone(&Utc));
            }
            if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
                return Some(t.and_utc());
            }
            if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
                let n: f64 = s.parse().ok()?;
                return parse_timestamp(&serde_json::json!(n));
            }
            None
        }
        Value::Object(map) => {
            let seconds = map
                .get("_seconds")
                .or_else(|| map.get("seconds"))?
                .as_i64()?;
            let nanos = map
                .get("_nanoseconds")
                .or_else(|| map.get("nanoseconds"))
                .and_then(|n| n.as_u64())
                .unwrap_or(0);
            Utc.timestamp_opt(seconds, u32::try_from(nanos).ok()?)
                .single()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn due_dates_clamp_to_month_ends_and_cross_years() {
        assert_eq!(due_date(d(2026, 1, 31)), d(2026, 2, 28));
        assert_eq!(due_date(d(2028, 1, 31)), d(2028, 2, 29));
        assert_eq!(due_date(d(2028, 1, 29)), d(2028, 2, 29));
        assert_eq!(due_date(d(2026, 1, 28)), d(2026, 2, 28));
        assert_eq!(due_date(d(2026, 3, 31)), d(2026, 4, 30));
        assert_eq!(due_date(d(2026, 12, 31)), d(2027, 1, 31));
        assert_eq!(due_date(d(2026, 12, 1)), d(2027, 1, 1));
        assert_eq!(due_date(d(2026, 5, 15)), d(2026, 6, 15));
        // Extensions count from the received date: 1 + 2 months.
        assert_eq!(add_months(d(2026, 11, 30), 3), d(2027, 2, 28));
        assert_eq!(add_months(d(2027, 11, 30), 3), d(2028, 2, 29));
    }

    #[test]
    fn every_day_of_eight_years_is_due_one_calendar_month_later() {
        let mut day = d(2024, 1, 1);
        while day <= d(2031, 12, 31) {
            for months in 1..=3 {
                let due = add_months(day, months);
                let target_month0 = day.month0() + months;
                let year = day.year() + (target_month0 / 12) as i32;
                let month = target_month0 % 12 + 1;
                let last = (28..=31)
                    .rev()
                    .find(|&n| NaiveDate::from_ymd_opt(year, month, n).is_some())
                    .unwrap();
                assert_eq!(
                    due,
                    d(year, month, day.day().min(last)),
                    "{day} + {months} month(s)"
                );
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn timestamps_in_every_form_velt_uses() {
        let t = Utc.with_ymd_and_hms(2026, 3, 3, 14, 5, 0).unwrap();
        let ms = t.timestamp_millis();
        assert_eq!(parse_timestamp(&json!(ms)), Some(t));
        assert_eq!(parse_timestamp(&json!(ms / 1000)), Some(t));
        assert_eq!(parse_timestamp(&json!("2026-03-03T14:05:00.000Z")), Some(t));
        assert_eq!(
            parse_timestamp(&json!("2026-03-03T16:05:00+02:00")),
            Some(t)
        );
        assert_eq!(
            parse_timestamp(&json!({"_seconds": ms / 1000, "_nanoseconds": 0})),
            Some(t)
        );
        assert_eq!(parse_timestamp(&json!("yesterday")), None);
        assert_eq!(parse_timestamp(&json!(-5)), None);
        assert_eq!(parse_timestamp(&json!(1e300)), None);
        assert_eq!(time_in_words(t), "3 March 2026, 14:05 UTC");
        assert_eq!(date_in_words(d(2026, 2, 28)), "28 February 2026");
    }
}

//! ASL timestamps: RFC 3339 with an uppercase `T` and, without an offset, an uppercase `Z`.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses an ASL timestamp; `None` when it does not conform.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    // RFC 3339 allows lowercase `t`/`z`; the States Language does not.
    if text.as_bytes().get(10) != Some(&b'T') || text.ends_with('z') {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Milliseconds since the Unix epoch.
pub fn to_millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Formats epoch milliseconds as AWS prints context times: `2024-01-02T03:04:05.678Z`.
pub fn format_millis(millis: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_rfc3339() {
        assert!(parse("2016-03-14T01:59:00Z").is_some());
        assert!(parse("2016-03-14T01:59:00.123+01:00").is_some());
        assert!(parse("2016-03-14t01:59:00Z").is_none());
        assert!(parse("2016-03-14T01:59:00z").is_none());
        assert!(parse("2016-03-14 01:59:00Z").is_none());
        assert!(parse("yesterday").is_none());
        assert_eq!(format_millis(1_457_920_740_000), "2016-03-14T01:59:00.000Z");
    }
}

//! Instants as people in Indonesia read them: Western Indonesian Time (WIB), the zone of most
//! ASN.

/// Formats an instant as Western Indonesian Time, the zone of most ASN.
pub fn wib(ts: i64) -> String {
    let offset = time::UtcOffset::from_hms(7, 0, 0).expect("valid offset");
    let fmt = time::macros::format_description!("[day]-[month]-[year] [hour]:[minute] WIB");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .map(|t| t.to_offset(offset).format(&fmt).unwrap_or_default())
        .unwrap_or_default()
}

/// The server's time to the second, so people can compare it with their phone.
pub fn wib_seconds(ts: i64) -> String {
    let offset = time::UtcOffset::from_hms(7, 0, 0).expect("valid offset");
    let fmt =
        time::macros::format_description!("[hour]:[minute]:[second] WIB, [day]-[month]-[year]");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .map(|t| t.to_offset(offset).format(&fmt).unwrap_or_default())
        .unwrap_or_default()
}

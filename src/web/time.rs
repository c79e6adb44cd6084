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

/// When something ends, as people say it: "pukul 14.30 WIB, 07-12-2026" (Indonesian writes
/// the hour with a dot), "14:30 WIB, 07-12-2026".
pub fn wib_clock(ts: i64, lang: crate::web::i18n::Lang) -> String {
    let offset = time::UtcOffset::from_hms(7, 0, 0).expect("valid offset");
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(ts) else {
        return String::new();
    };
    let t = t.to_offset(offset);
    let date = format!("{:02}-{:02}-{}", t.day(), u8::from(t.month()), t.year());
    match lang {
        crate::web::i18n::Lang::Id => {
            format!("pukul {:02}.{:02} WIB, {date}", t.hour(), t.minute())
        }
        crate::web::i18n::Lang::En => format!("{:02}:{:02} WIB, {date}", t.hour(), t.minute()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    #[test]
    fn a_lock_end_reads_as_wib() {
        // 2026-12-07 07:30:00 UTC is 14.30 WIB.
        let ts = 1_796_628_600;
        assert_eq!(wib_clock(ts, Lang::Id), "pukul 14.30 WIB, 07-12-2026");
        assert_eq!(wib_clock(ts, Lang::En), "14:30 WIB, 07-12-2026");
    }
}

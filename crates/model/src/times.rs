//! Nomad's two time encodings (nomad-model.md §0.3): integer Unix nanoseconds for
//! `CreateTime`, `ModifyTime`, `TaskEvent.Time` and `RescheduleTime`, and RFC 3339 strings
//! (0 to 9 fraction digits, any offset; `null` from 0.10, `"0001-01-01T00:00:00Z"` before)
//! for task-state times, deployment health and `AllocStates`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An RFC 3339 time as Nomad sends it. `None` covers `null`, an absent field, `""` and
/// Go's zero time, which all mean "never happened". The original UTC offset is kept so an
/// encode gives back the same instant in the same zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NomadTime(pub Option<OffsetDateTime>);

impl NomadTime {
    pub const NONE: NomadTime = NomadTime(None);

    pub fn parse(text: &str) -> Result<NomadTime, String> {
        if text.is_empty() {
            return Ok(NomadTime(None));
        }
        let t = OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| format!("`{text}` is not an RFC 3339 time ({e})"))?;
        // Go's zero time.Time; older Nomad (<= 0.9) wrote it instead of null.
        if t.year() == 1 && t.ordinal() == 1 && t.unix_timestamp() == ZERO_TIME_UNIX {
            return Ok(NomadTime(None));
        }
        Ok(NomadTime(Some(t)))
    }

    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }

    /// Unix nanoseconds, comparable with `CreateTime` and `TaskEvent.Time`.
    pub fn unix_nanos(&self) -> Option<i64> {
        self.0.map(|t| t.unix_timestamp_nanos() as i64)
    }

    /// RFC 3339 with Go's RFC3339Nano rule: trailing zeros of the fraction are dropped.
    pub fn to_rfc3339(&self) -> Option<String> {
        self.0.map(format_rfc3339)
    }
}

const ZERO_TIME_UNIX: i64 = -62_135_596_800;

/// `2026-11-24<sep>09:00:00`, the date and time of day as they are in `t`'s own offset.
fn date_time(t: OffsetDateTime, sep: char) -> String {
    format!(
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn format_rfc3339(t: OffsetDateTime) -> String {
    let mut s = date_time(t, 'T');
    let nanos = t.nanosecond();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    let off = t.offset();
    if off.is_utc() {
        s.push('Z');
    } else {
        let secs = off.whole_seconds();
        let sign = if secs < 0 { '-' } else { '+' };
        let secs = secs.abs();
        s.push_str(&format!("{sign}{:02}:{:02}", secs / 3600, (secs % 3600) / 60));
    }
    s
}

impl fmt::Display for NomadTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_rfc3339() {
            Some(s) => f.write_str(&s),
            None => f.write_str("never"),
        }
    }
}

impl Serialize for NomadTime {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self.to_rfc3339() {
            Some(s) => ser.serialize_str(&s),
            None => ser.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for NomadTime {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let raw: Option<std::borrow::Cow<'de, str>> = Option::deserialize(de)?;
        match raw {
            None => Ok(NomadTime(None)),
            Some(s) => NomadTime::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

/// Integer Unix nanoseconds are the common currency for ordering and arithmetic.
/// Negative values are "unknown" (a driver can report Go's zero time as
/// `-6795364578871345152`) and are never turned into dates.
pub fn unix_nanos_known(ns: i64) -> Option<i64> {
    (ns > 0).then_some(ns)
}

/// The UTC date-time of a positive Unix-nanosecond value.
pub fn from_unix_nanos(ns: i64) -> Option<OffsetDateTime> {
    unix_nanos_known(ns).and_then(|ns| OffsetDateTime::from_unix_timestamp_nanos(ns as i128).ok())
}

/// `2026-11-24 09:00:00 UTC`-style text for a Unix-nanosecond value, or `None` when unknown.
pub fn format_unix_nanos_utc(ns: i64) -> Option<String> {
    from_unix_nanos(ns).map(|t| format!("{} UTC", date_time(t, ' ')))
}

/// `2026-11-24T09:00:00Z` (RFC 3339, UTC, whole seconds) for a Unix-nanosecond value, for
/// exports that other tools parse.
pub fn format_unix_nanos_rfc3339(ns: i64) -> Option<String> {
    from_unix_nanos(ns).map(|t| format!("{}Z", date_time(t, 'T')))
}

/// `2026-11-24 10:00:31` in a zone `offset_minutes` east of UTC (the browser's offset is
/// passed in, so this stays a pure function).
pub fn format_unix_nanos_local(ns: i64, offset_minutes: i32) -> Option<String> {
    let offset = time::UtcOffset::from_whole_seconds(offset_minutes.clamp(-1080, 1080) * 60).ok()?;
    from_unix_nanos(ns).map(|t| date_time(t.to_offset(offset), ' '))
}

/// "3m ago", "in 2h 5m", "just now": how far `ns` is from `now`.
pub fn relative(ns: i64, now: i64) -> Option<String> {
    unix_nanos_known(ns)?;
    let d = now - ns;
    if d.abs() < 1_000_000_000 {
        return Some("just now".to_owned());
    }
    let h = human_duration(d.abs());
    // Two units read well in a table ("2h 5m"); drop the second for long spans.
    let h = if d.abs() >= 86_400_000_000_000 { h.split(' ').next().unwrap_or(&h).to_owned() } else { h };
    Some(if d > 0 { format!("{h} ago") } else { format!("in {h}") })
}

/// Go's `time.Duration.String()`: `1m30.5s`, `16.732s`, `500ms`, `0s`. Nomad writes event
/// messages with it, so the fallback messages must match it exactly.
pub fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".to_owned();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if u < 1_000_000_000 {
        // Sub-second: ns, µs or ms with a fraction.
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac(u, div));
        out.push_str(unit);
        return out;
    }
    let hours = u / 3_600_000_000_000;
    let rem = u % 3_600_000_000_000;
    let mins = rem / 60_000_000_000;
    let sec_ns = rem % 60_000_000_000;
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || mins > 0 {
        out.push_str(&format!("{mins}m"));
    }
    out.push_str(&frac(sec_ns, 1_000_000_000));
    out.push('s');
    out
}

fn frac(v: u64, div: u64) -> String {
    let whole = v / div;
    let rest = v % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// A short human duration for the UI (`2m 5s`, `3h 1m`, `4d 2h`), rounded down, as an
/// operator reads "how long between these events".
pub fn human_duration(ns: i64) -> String {
    let neg = ns < 0;
    let s = ns.unsigned_abs() / 1_000_000_000;
    let body = if s == 0 {
        let ms = ns.unsigned_abs() / 1_000_000;
        format!("{ms}ms")
    } else if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m {}s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{}h {}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d {}h", s / 86_400, (s % 86_400) / 3600)
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_fraction_width_and_offset() {
        let t = NomadTime::parse("2021-11-04T10:14:22.054814+01:00").unwrap();
        assert_eq!(t.to_rfc3339().unwrap(), "2021-11-04T10:14:22.054814+01:00");
        assert_eq!(t.unix_nanos(), Some(1_636_017_262_054_814_000));
        let t = NomadTime::parse("2017-07-25T23:36:26Z").unwrap();
        assert_eq!(t.to_rfc3339().unwrap(), "2017-07-25T23:36:26Z");
        let t = NomadTime::parse("2021-04-05T22:23:34.82829697Z").unwrap();
        assert_eq!(t.to_rfc3339().unwrap(), "2021-04-05T22:23:34.82829697Z");
        let t = NomadTime::parse("2023-03-16T10:00:00.123456789-04:00").unwrap();
        assert_eq!(t.unix_nanos(), Some(1_678_975_200_123_456_789));
    }

    #[test]
    fn zero_time_null_and_empty_are_none() {
        assert!(NomadTime::parse("0001-01-01T00:00:00Z").unwrap().is_none());
        assert!(NomadTime::parse("").unwrap().is_none());
        let v: NomadTime = serde_json::from_str("null").unwrap();
        assert!(v.is_none());
        assert_eq!(serde_json::to_string(&v).unwrap(), "null");
        assert!(NomadTime::parse("yesterday").is_err());
    }

    #[test]
    fn go_durations_match_go() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(5_000_000_000), "5s");
        assert_eq!(go_duration(16_732_000_000), "16.732s");
        assert_eq!(go_duration(90_500_000_000), "1m30.5s");
        assert_eq!(go_duration(1_800_000_000_000), "30m0s");
        assert_eq!(go_duration(86_400_000_000_000), "24h0m0s");
        assert_eq!(go_duration(500_000_000), "500ms");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(-2_000_000_000), "-2s");
    }

    #[test]
    fn unknown_unix_nanos_stay_unknown() {
        assert_eq!(format_unix_nanos_utc(-6_795_364_578_871_345_152), None);
        assert_eq!(format_unix_nanos_utc(1_763_974_800_000_000_000).unwrap(), "2025-11-24 09:00:00 UTC");
        assert_eq!(human_duration(125_000_000_000), "2m 5s");
        let t = 1_763_974_800_000_000_000;
        assert_eq!(format_unix_nanos_local(t, 60).unwrap(), "2025-11-24 10:00:00");
        assert_eq!(format_unix_nanos_local(t, -300).unwrap(), "2025-11-24 04:00:00");
        assert_eq!(relative(t, t + 125_000_000_000).unwrap(), "2m 5s ago");
        assert_eq!(relative(t, t - 3 * 86_400_000_000_000 - 5).unwrap(), "in 3d");
        assert_eq!(relative(-5, t), None);
    }
}

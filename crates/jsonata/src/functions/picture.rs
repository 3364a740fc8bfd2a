//! XPath `format-dateTime` pictures for `$fromMillis` and `$now`, as jsonata-js reads them:
//! literal text with `[component presentation, width]` markers (`[[`/`]]` escape brackets).
//! Components: year `Y`, month `M`, day `D`, day of year `d`, weekday `F`, ISO week `W` and
//! week-year `X`, hours `H`/`h`, `P` (am/pm), minutes `m`, seconds `s`, fraction `f`, zones `Z`
//! and `z`, calendar `C` and era `E`, week of the month `w` and the month `x` that week belongs
//! to (ISO 8601's first-week rule applied to months, as jsonata-js does). Integer components
//! are written and read with [`IntegerPicture`]. [`parse`] reads a timestamp back with the same
//! pictures.

use time::{OffsetDateTime, UtcOffset};

use super::format::IntegerPicture;
use crate::error::Error;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One `[...]` marker.
struct Marker {
    component: char,
    /// The primary presentation modifier (`01`, `N`, `Nn`, `w`, `I`, …).
    presentation: String,
    ordinal: bool,
    /// `t` after the presentation: a zero offset is written `Z`.
    traditional: bool,
    /// `,min-max`: `None` when absent or `*`.
    min_width: Option<usize>,
    max_width: Option<usize>,
}

/// `±HHMM` (jsonata-js's time-zone argument) as an offset.
pub(crate) fn parse_zone(zone: &str, position: usize) -> Result<UtcOffset, Error> {
    let bad = || {
        Error::dynamic(
            "D3110",
            position,
            format!("The time zone \"{zone}\" is not of the form ±HHMM"),
        )
    };
    let (sign, digits) = match zone.as_bytes().first() {
        Some(b'+') => (1, &zone[1..]),
        Some(b'-') => (-1, &zone[1..]),
        _ => (1, zone),
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let hours: i8 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: i8 = digits[2..].parse().map_err(|_| bad())?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).map_err(|_| bad())
}

/// Formats `t` (already at the wanted offset) with `picture`.
pub(crate) fn format(t: OffsetDateTime, picture: &str, position: usize) -> Result<String, Error> {
    // The whole picture is read first, so that a malformed one fails the same way wherever
    // its problem sits.
    let mut out = String::new();
    for part in parts(picture, position)? {
        match part {
            Part::Literal(text) => out.push_str(&text),
            Part::Marker(m) => out.push_str(&component(t, &m, position)?),
        }
    }
    Ok(out)
}

fn marker(body: &str, position: usize) -> Result<Marker, Error> {
    let mut chars = body.chars();
    let component = chars
        .next()
        .ok_or_else(|| Error::dynamic("D3132", position, "Empty component in date/time picture"))?;
    let default = match component {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        other => return Err(unknown(other, position)),
    };
    let rest = chars.as_str();
    let (modifiers, width) = match rest.rsplit_once(',') {
        Some((m, w)) => (m, Some(w)),
        None => (rest, None),
    };
    let mut presentation = if modifiers.is_empty() {
        default.to_string()
    } else {
        modifiers.to_string()
    };
    let (mut ordinal, mut traditional) = (false, false);
    if presentation.chars().count() > 1 {
        match presentation.chars().last() {
            Some('o') => ordinal = true,
            Some('t') => traditional = true,
            Some('c' | 'a') => {}
            _ => {}
        }
        if ordinal || traditional || presentation.ends_with(['c', 'a']) {
            presentation.pop();
        }
    }
    let (mut min_width, mut max_width) = (None, None);
    if let Some(width) = width {
        // jsonata-js reads a width with `parseInt`: its leading digits. One without any (`*`,
        // or something malformed) is NaN there, and compares as no width at all.
        let parse = |w: &str| -> Option<usize> {
            let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        };
        match width.split_once('-') {
            Some((min, max)) => {
                min_width = parse(min);
                max_width = parse(max);
            }
            None => min_width = parse(width),
        }
    }
    Ok(Marker {
        component,
        presentation,
        ordinal,
        traditional,
        min_width,
        max_width,
    })
}

fn component(t: OffsetDateTime, m: &Marker, position: usize) -> Result<String, Error> {
    let name = |full: &str| -> String {
        let text = match m.presentation.as_str() {
            "N" => full.to_uppercase(),
            "n" => full.to_lowercase(),
            _ => full.to_string(),
        };
        match m.max_width {
            Some(max) => text.chars().take(max).collect(),
            None => text,
        }
    };
    let named = matches!(m.presentation.as_str(), "N" | "n" | "Nn");
    let value: i64 = match m.component {
        'Y' => i64::from(t.year()),
        'M' if named => return Ok(name(MONTHS[usize::from(u8::from(t.month())) - 1])),
        'M' => i64::from(u8::from(t.month())),
        'D' => i64::from(t.day()),
        'd' => i64::from(t.ordinal()),
        'F' if named => {
            return Ok(name(
                DAYS[usize::from(t.weekday().number_days_from_monday())],
            ))
        }
        'F' => i64::from(t.weekday().number_from_monday()),
        'W' => i64::from(t.iso_week()),
        'w' => week_of_month(t.date()),
        'x' if named => return Ok(name(MONTHS[week_month(t.date()) - 1])),
        'x' => week_month(t.date()) as i64,
        'X' => i64::from(t.date().to_iso_week_date().0),
        'H' => i64::from(t.hour()),
        'h' => i64::from((t.hour() + 11) % 12 + 1),
        'P' => {
            let marker = if t.hour() < 12 { "am" } else { "pm" };
            return Ok(match m.presentation.as_str() {
                "N" => marker.to_uppercase(),
                _ => marker.to_string(),
            });
        }
        'm' => i64::from(t.minute()),
        's' => i64::from(t.second()),
        'f' => return Ok(fraction(t.millisecond(), &m.presentation)),
        'Z' => return zone(t.offset(), &m.presentation, m.traditional, position),
        'z' => {
            return Ok(format!(
                "GMT{}",
                zone(t.offset(), "01:01", false, position)?
            ))
        }
        // jsonata-js names the one calendar and era it knows the same whatever the modifier.
        'C' | 'E' => return Ok("ISO".into()),
        other => return Err(unknown(other, position)),
    };
    integer(value, m, position)
}

fn unknown(c: char, position: usize) -> Error {
    Error::dynamic(
        "D3132",
        position,
        format!("Unknown component specifier {c} in date/time picture string"),
    )
}

fn integer(value: i64, m: &Marker, position: usize) -> Result<String, Error> {
    // Names are for months and weekdays only (jsonata-js: any presentation starting n or N).
    if m.presentation.starts_with(['n', 'N']) {
        return Err(Error::dynamic(
            "D3133",
            position,
            format!(
                "The name presentation \"{}\" is not supported for the date/time component {}",
                m.presentation, m.component
            ),
        ));
    }
    let format = IntegerPicture::token(&m.presentation, m.ordinal, position)?;
    let decimal = format.is_decimal();
    let digits = m
        .presentation
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '#')
        .count();
    let mut value = value.unsigned_abs();
    if m.component == 'Y' && decimal {
        // A year keeps its last N digits: N is the maximum width, else the picture's (or the
        // minimum width's) digit count when two or more: [Y01] and [Y,2] are "17".
        let width = digits.max(m.min_width.unwrap_or(0));
        if let Some(n) = m.max_width.or((width >= 2).then_some(width)) {
            value %= 10u64.pow(n.min(18) as u32);
        }
    }
    let mut text = format.format(value as f64, position)?;
    if !decimal {
        return Ok(text);
    }
    if let Some(min) = m.min_width {
        while text.chars().count() < min {
            text.insert(0, '0');
        }
    }
    // The maximum width overrides the picture's zero padding: [Y0001,2-2] is "18".
    if let Some(max) = m.max_width {
        while text.chars().count() > max && text.starts_with('0') {
            text.remove(0);
        }
    }
    Ok(text)
}

/// Fractional seconds: as many digits as the picture has, from the milliseconds.
fn fraction(millis: u16, presentation: &str) -> String {
    let digits = presentation
        .chars()
        .filter(|c| c.is_ascii_digit())
        .count()
        .max(1);
    let mut text = format!("{millis:03}");
    if digits <= 3 {
        text.truncate(digits);
    } else {
        text.extend(std::iter::repeat_n('0', digits - 3));
    }
    text
}

/// An offset as the picture's digits write it: `01:01` is `±HH:MM`, `0101` is `±HHMM`, one or
/// two digits are the hours alone (`:MM` added when not zero); with `t`, a zero offset is `Z`.
fn zone(
    offset: UtcOffset,
    presentation: &str,
    traditional: bool,
    position: usize,
) -> Result<String, Error> {
    let seconds = offset.whole_seconds();
    if traditional && seconds == 0 {
        return Ok("Z".into());
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let (hours, minutes) = (seconds.abs() / 3600, (seconds.abs() % 3600) / 60);
    let digits = presentation.chars().filter(char::is_ascii_digit).count();
    let separator: String = presentation
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .collect();
    Ok(match digits {
        0..=2 => {
            let width = digits.max(1);
            if minutes == 0 {
                format!("{sign}{hours:0width$}")
            } else {
                format!("{sign}{hours:0width$}:{minutes:02}")
            }
        }
        3 | 4 => {
            let width = digits - 2;
            format!("{sign}{hours:0width$}{separator}{minutes:02}")
        }
        _ => {
            return Err(Error::dynamic(
                "D3134",
                position,
                format!("The time zone picture \"{presentation}\" has too many digits"),
            ))
        }
    })
}

/// A picture split into literal text and markers.
enum Part {
    Literal(String),
    Marker(Marker),
}

fn parts(picture: &str, position: usize) -> Result<Vec<Part>, Error> {
    let chars: Vec<char> = picture.chars().collect();
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            c @ ('[' | ']') if chars.get(i + 1) == Some(&c) => {
                literal.push(c);
                i += 2;
            }
            '[' => {
                let Some(close) = chars[i..].iter().position(|&c| c == ']') else {
                    return Err(Error::dynamic(
                        "D3135",
                        position,
                        "No matching closing bracket ']' in date/time picture string",
                    ));
                };
                let body: String = chars[i + 1..i + close]
                    .iter()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if !literal.is_empty() {
                    out.push(Part::Literal(std::mem::take(&mut literal)));
                }
                out.push(Part::Marker(marker(&body, position)?));
                i += close + 1;
            }
            c => {
                literal.push(c);
                i += 1;
            }
        }
    }
    if !literal.is_empty() {
        out.push(Part::Literal(literal));
    }
    Ok(out)
}

/// `$toMillis(text, picture)`: the instant `text` writes in `picture`, `None` when it does not
/// match. Components before the most significant one given come from `now_millis` (UTC),
/// those after the least significant one are their minimum; a gap between is D3136.
pub(crate) fn parse(
    text: &str,
    picture: &str,
    now_millis: i64,
    position: usize,
) -> Result<Option<i64>, Error> {
    let missing = || {
        Error::dynamic(
            "D3136",
            position,
            "The date/time picture string is missing specifiers required to parse the timestamp",
        )
    };
    let parts = parts(picture, position)?;
    let mut pattern = String::from("^");
    let mut markers = Vec::new();
    for part in &parts {
        match part {
            Part::Literal(l) => pattern.push_str(&regex::escape(l)),
            Part::Marker(m) => {
                let named = matches!(m.presentation.as_str(), "N" | "n" | "Nn");
                let group = match (m.component, m.presentation.as_str()) {
                    ('M' | 'F' | 'x', _) if named => "[a-zA-Z]+",
                    (_, _) if named && m.component != 'P' => {
                        return Err(Error::dynamic(
                            "D3133",
                            position,
                            format!(
                            "The name presentation is not supported for the date/time component {}",
                            m.component
                        ),
                        ))
                    }
                    ('P', _) => "[aApP][mM]",
                    ('Z', _) => "Z|[+-][0-9]{1,2}(?::?[0-9]{2})?",
                    ('z', _) => "GMT[+-][0-9]{1,2}(?::?[0-9]{2})?",
                    (_, "w" | "W" | "Ww") => "[a-zA-Z][a-zA-Z ,-]*?",
                    (_, "i" | "I" | "a" | "A") => "[a-zA-Z]+",
                    _ if m.ordinal => "[0-9]+(?:st|nd|rd|th)",
                    _ => "[0-9]+",
                };
                pattern.push_str(&format!("({group})"));
                markers.push(m);
            }
        }
    }
    pattern.push('$');
    let re = regex::Regex::new(&pattern).map_err(|e| {
        Error::dynamic(
            "D3136",
            position,
            format!("Unusable date/time picture: {e}"),
        )
    })?;
    let Some(caps) = re.captures(text) else {
        return Ok(None);
    };
    // Y, M, D, d (day of year), H, m, s, f; `None` where the picture has no such component.
    let mut fields: [Option<i64>; 8] = [None; 8];
    let (mut hour12, mut pm, mut offset_minutes) = (None, None, 0i64);
    let mut weeks = Vec::new();
    for (m, value) in markers.iter().zip(caps.iter().skip(1)) {
        let Some(value) = value.map(|v| v.as_str()) else {
            return Ok(None);
        };
        let number = || {
            IntegerPicture::token(&m.presentation, m.ordinal, position)?
                .parse(value, position)?
                .map(|n| n as i64)
                .ok_or_else(|| {
                    Error::dynamic(
                        "D3110",
                        position,
                        format!(
                            "Unable to read \"{value}\" as the component {}",
                            m.component
                        ),
                    )
                })
        };
        match m.component {
            'Y' => fields[0] = Some(number()?),
            'M' if matches!(m.presentation.as_str(), "N" | "n" | "Nn") => {
                let lower = value.to_lowercase();
                let month = MONTHS
                    .iter()
                    .position(|name| name.to_lowercase().starts_with(&lower))
                    .filter(|_| lower.len() >= 3)
                    .ok_or_else(|| {
                        Error::dynamic("D3110", position, format!("Unknown month name \"{value}\""))
                    })?;
                fields[1] = Some(month as i64 + 1);
            }
            'M' => fields[1] = Some(number()?),
            'D' => fields[2] = Some(number()?),
            'd' => fields[3] = Some(number()?),
            'H' => fields[4] = Some(number()?),
            'h' => hour12 = Some(number()?),
            'P' => pm = Some(value.eq_ignore_ascii_case("pm")),
            'm' => fields[5] = Some(number()?),
            's' => fields[6] = Some(number()?),
            'f' => {
                // A fraction: "1" is 100 ms, "123" is 123 ms.
                let digits: String = format!("{value:0<3}").chars().take(3).collect();
                fields[7] = Some(digits.parse().map_err(|_| missing())?);
            }
            'Z' | 'z' => {
                let zone = value.trim_start_matches("GMT");
                if zone != "Z" {
                    let sign = if zone.starts_with('-') { -1 } else { 1 };
                    let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
                    let (h, mm) = if digits.len() > 2 {
                        digits.split_at(digits.len() - 2)
                    } else {
                        (digits.as_str(), "0")
                    };
                    offset_minutes = sign
                        * (h.parse::<i64>().map_err(|_| missing())? * 60
                            + mm.parse::<i64>().map_err(|_| missing())?);
                }
            }
            'X' | 'x' | 'W' | 'w' => weeks.push(m.component),
            // The weekday, era and calendar are read but do not decide the instant.
            _ => {}
        }
    }
    // jsonata-js knows two more ways to give a date, the ISO week date {X, W} and the week of
    // a month {X, x, w} (each with F), and refuses both as unsupported (D3136). Week
    // components beside a year, month or day are ignored.
    if !weeks.is_empty() && fields[..4].iter().all(Option::is_none) {
        let month_weeks = !weeks.contains(&'W');
        let year_weeks = !weeks.iter().any(|c| matches!(c, 'x' | 'w'));
        if month_weeks || year_weeks {
            return Err(missing());
        }
    }
    if let Some(h) = hour12 {
        fields[4] = Some(h % 12 + if pm == Some(true) { 12 } else { 0 });
    }
    let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_millis) * 1_000_000)
        .map_err(|_| missing())?;
    // The significance order, with the day of year standing in for month and day.
    let by_day_of_year = fields[3].is_some();
    let order: &[usize] = if by_day_of_year {
        &[0, 3, 4, 5, 6, 7]
    } else {
        &[0, 1, 2, 4, 5, 6, 7]
    };
    let given: Vec<usize> = order
        .iter()
        .enumerate()
        .filter(|(_, &f)| fields[f].is_some())
        .map(|(i, _)| i)
        .collect();
    // A picture without date or time components (only literals, or a weekday) names no instant.
    let (Some(&first), Some(&last)) = (given.first(), given.last()) else {
        return Ok(None);
    };
    if given.len() != last - first + 1 {
        return Err(missing());
    }
    let current = [
        i64::from(now.year()),
        i64::from(u8::from(now.month())),
        i64::from(now.day()),
        i64::from(now.ordinal()),
        i64::from(now.hour()),
        i64::from(now.minute()),
        i64::from(now.second()),
        i64::from(now.millisecond()),
    ];
    let minimum = [0, 1, 1, 1, 0, 0, 0, 0];
    for (i, &f) in order.iter().enumerate() {
        if fields[f].is_none() {
            fields[f] = Some(if i < first { current[f] } else { minimum[f] });
        }
    }
    let get = |f: usize| fields[f].unwrap_or(minimum[f]);
    let year = i32::try_from(get(0)).map_err(|_| missing())?;
    let date = if by_day_of_year {
        time::Date::from_ordinal_date(year, u16::try_from(get(3)).map_err(|_| missing())?)
    } else {
        let month = time::Month::try_from(u8::try_from(get(1)).map_err(|_| missing())?)
            .map_err(|_| missing())?;
        time::Date::from_calendar_date(year, month, u8::try_from(get(2)).map_err(|_| missing())?)
    }
    .map_err(|_| Error::dynamic("D3110", position, format!("\"{text}\" is not a valid date")))?;
    let seconds_of_day = get(4) * 3600 + get(5) * 60 + get(6);
    let days = i64::from(date.to_julian_day()) - 2_440_588;
    Ok(Some(
        (days * 86_400 + seconds_of_day - offset_minutes * 60) * 1000 + get(7),
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1–12), by Howard Hinnant's
/// `days_from_civil`: plain arithmetic for the month arithmetic of week numbering, where a
/// `time::Date` could fall out of its range.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The month `delta` months after `year`/`month`.
fn add_months(year: i64, month: i64, delta: i64) -> (i64, i64) {
    let index = year * 12 + month - 1 + delta;
    (index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// The Monday (as days since the epoch) starting week 1 of a month: the week holding the
/// month's first Thursday, ISO 8601's rule for years, which XPath and jsonata-js apply to
/// months.
fn first_week_start((year, month): (i64, i64)) -> i64 {
    let first = days_from_civil(year, month, 1);
    // ISO weekday, Monday 1 to Sunday 7; 1970-01-01 was a Thursday.
    let weekday = (first + 3).rem_euclid(7) + 1;
    if weekday > 4 {
        first + 8 - weekday
    } else {
        first - (weekday - 1)
    }
}

fn year_month_day(date: time::Date) -> (i64, i64, i64) {
    (
        i64::from(date.year()),
        i64::from(u8::from(date.month())),
        i64::from(date.day()),
    )
}

/// `[w]`, jsonata-js's week of the month: days before the month's week 1 are in the previous
/// month's last week, days from the next month's week 1 on are in week 1.
fn week_of_month(date: time::Date) -> i64 {
    let (year, month, day) = year_month_day(date);
    let today = days_from_civil(year, month, day);
    let weeks_since = |start: i64| (today - start) as f64 / 7.0 + 1.0;
    let mut week = weeks_since(first_week_start((year, month)));
    if week > 4.0 {
        if today >= first_week_start(add_months(year, month, 1)) {
            week = 1.0;
        }
    } else if week < 1.0 {
        week = weeks_since(first_week_start(add_months(year, month, -1)));
    }
    week.floor() as i64
}

/// `[x]`: the month (1–12) whose weeks `[w]` counts `date` in.
fn week_month(date: time::Date) -> usize {
    let (year, month, day) = year_month_day(date);
    let today = days_from_civil(year, month, day);
    let (_, shown) = if today < first_week_start((year, month)) {
        add_months(year, month, -1)
    } else if today >= first_week_start(add_months(year, month, 1)) {
        add_months(year, month, 1)
    } else {
        (year, month)
    };
    shown as usize
}

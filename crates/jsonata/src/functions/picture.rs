//! XPath `format-dateTime` pictures for `$fromMillis` and `$now`, as jsonata-js reads them:
//! literal text with `[component presentation, width]` markers (`[[`/`]]` escape brackets).
//! Components: year `Y`, month `M`, day `D`, day of year `d`, weekday `F`, ISO week `W` and
//! week-year `X`, hours `H`/`h`, `P` (am/pm), minutes `m`, seconds `s`, fraction `f`, zones `Z`
//! and `z`, calendar `C` and era `E`. Week-of-month `w` and `x` are refused (T0410), never
//! formatted differently.

use time::{OffsetDateTime, UtcOffset};

use super::format::integer_text;
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
        _ => return Err(bad()),
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
    let chars: Vec<char> = picture.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '[' if chars.get(i + 1) == Some(&'[') => {
                out.push('[');
                i += 2;
            }
            ']' if chars.get(i + 1) == Some(&']') => {
                out.push(']');
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
                out.push_str(&component(t, &marker(&body, position)?, position)?);
                i += close + 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
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
        'Y' | 'M' | 'D' | 'd' | 'W' | 'X' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        'w' | 'x' => {
            return Err(Error::type_error(
                "T0410",
                position,
                format!("The date/time component '{component}' is not supported yet"),
            ))
        }
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
        let parse = |w: &str| -> Result<Option<usize>, Error> {
            match w {
                "*" => Ok(None),
                _ => w.parse().map(Some).map_err(|_| {
                    Error::dynamic(
                        "D3134",
                        position,
                        format!("Invalid width modifier \"{width}\" in date/time picture"),
                    )
                }),
            }
        };
        match width.split_once('-') {
            Some((min, max)) => {
                min_width = parse(min)?;
                max_width = parse(max)?;
            }
            None => min_width = parse(width)?,
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
        'C' | 'E' => return Ok(name("ISO")),
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
    let decimal = m
        .presentation
        .chars()
        .all(|c| c.is_ascii_digit() || c == '#' || !c.is_alphanumeric());
    let mut text =
        integer_text(value.unsigned_abs(), &m.presentation, m.ordinal).ok_or_else(|| {
            Error::dynamic(
                "D3133",
                position,
                format!(
                "The presentation modifier \"{}\" is not supported for the date/time component {}",
                m.presentation, m.component
            ),
            )
        })?;
    if !decimal {
        return Ok(text);
    }
    let digits = m
        .presentation
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '#')
        .count();
    if let Some(min) = m.min_width {
        while text.chars().count() < min {
            text.insert(0, '0');
        }
    }
    if m.component == 'Y' {
        // A year keeps its last N digits: N is the maximum width, else the picture's (or the
        // minimum width's) digit count when two or more: [Y01] and [Y,2] are "17".
        let width = digits.max(m.min_width.unwrap_or(0));
        if let Some(n) = m.max_width.or((width >= 2).then_some(width)) {
            let count = text.chars().count();
            text = text.chars().skip(count.saturating_sub(n)).collect();
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

//! `$formatNumber`: XPath 3.1 `format-number` pictures (prefix, integer part with optional
//! grouping, fraction part, exponent, suffix with `%` or per-mille; a second sub-picture after
//! `;` for negative numbers), with the decimal-format options JSONata accepts.

use std::rc::Rc;

use super::numeric::round_half_even;
use super::{builtin, Args, Builtin};
use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::Value;

pub(crate) const FUNCTIONS: &[Builtin] = &[builtin("formatNumber", 2, true, 3, format_number)];

/// The decimal format: XPath's defaults, overridable through `$formatNumber`'s options.
struct Symbols {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: String,
    percent: String,
    per_mille: String,
    zero: char,
    digit: char,
    pattern: char,
}

impl Symbols {
    fn from_options(a: &Args) -> Result<Self, Error> {
        let mut s = Symbols {
            decimal: '.',
            grouping: ',',
            exponent: 'e',
            minus: "-".into(),
            percent: "%".into(),
            per_mille: "\u{2030}".into(),
            zero: '0',
            digit: '#',
            pattern: ';',
        };
        let options = match a.value(2) {
            Value::Undefined => return Ok(s),
            Value::Object(o) => o,
            _ => return Err(a.mismatch(2)),
        };
        for (key, value) in options.iter() {
            let Value::String(text) = value else {
                return Err(a.mismatch(2));
            };
            let first = text.chars().next().ok_or_else(|| a.mismatch(2))?;
            match key.as_str() {
                "decimal-separator" => s.decimal = first,
                "grouping-separator" => s.grouping = first,
                "exponent-separator" => s.exponent = first,
                "minus-sign" => s.minus = text.to_string(),
                "percent" => s.percent = text.to_string(),
                "per-mille" => s.per_mille = text.to_string(),
                "zero-digit" => s.zero = first,
                "digit" => s.digit = first,
                "pattern-separator" => s.pattern = first,
                _ => {}
            }
        }
        Ok(s)
    }

    fn is_decimal_digit(&self, c: char) -> bool {
        (c as u32).wrapping_sub(self.zero as u32) < 10
    }

    fn is_active(&self, c: char) -> bool {
        self.is_decimal_digit(c) || c == self.digit || c == self.decimal || c == self.grouping
    }
}

/// One analysed sub-picture.
struct Picture {
    prefix: String,
    suffix: String,
    integer_min: usize,
    /// Digits to the right of each grouping separator in the integer part.
    integer_groups: Vec<usize>,
    fraction_min: usize,
    fraction_max: usize,
    exponent_min: Option<usize>,
}

fn analyse(pic: &[char], sym: &Symbols, position: usize) -> Result<Picture, Error> {
    let first = pic
        .iter()
        .position(|&c| sym.is_active(c))
        .unwrap_or(pic.len());
    let last = pic
        .iter()
        .rposition(|&c| sym.is_active(c))
        .map_or(first, |i| i + 1);
    let (prefix, active, suffix) = (
        &pic[..first],
        &pic[first..last.max(first)],
        &pic[last.max(first)..],
    );
    // The exponent separator counts as active only between digits.
    let (mantissa, exponent) = match active.iter().position(|&c| c == sym.exponent) {
        Some(i) => (&active[..i], Some(&active[i + 1..])),
        None => (active, None),
    };
    let (mantissa, exponent, suffix) = match (exponent, suffix.first()) {
        (None, Some(&c))
            if c == sym.exponent && suffix.get(1).is_some_and(|&d| sym.is_decimal_digit(d)) =>
        {
            let digits = suffix[1..]
                .iter()
                .take_while(|&&d| sym.is_decimal_digit(d))
                .count();
            (
                mantissa,
                Some(&suffix[1..1 + digits]),
                &suffix[1 + digits..],
            )
        }
        _ => (mantissa, exponent, suffix),
    };
    let decimals = mantissa.iter().filter(|&&c| c == sym.decimal).count();
    if decimals > 1 {
        return Err(Error::dynamic(
            "D3081",
            position,
            "The sub-picture must not contain more than one decimal-separator",
        ));
    }
    let (integer, fraction) = match mantissa.iter().position(|&c| c == sym.decimal) {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &[][..]),
    };
    let mut integer_groups = Vec::new();
    let mut digits_right = 0;
    for &c in integer.iter().rev() {
        if c == sym.grouping {
            integer_groups.push(digits_right);
        } else {
            digits_right += 1;
        }
    }
    let mut integer_min = integer.iter().filter(|&&c| sym.is_decimal_digit(c)).count();
    let mut fraction_min = fraction
        .iter()
        .filter(|&&c| sym.is_decimal_digit(c))
        .count();
    let mut fraction_max = fraction
        .iter()
        .filter(|&&c| sym.is_decimal_digit(c) || c == sym.digit)
        .count();
    let exponent_min = exponent.map(|e| e.iter().filter(|&&c| sym.is_decimal_digit(c)).count());
    if integer_min == 0 && fraction_max == 0 {
        if exponent_min.is_some() {
            fraction_min = 1;
            fraction_max = 1;
        } else {
            integer_min = 1;
        }
    }
    if exponent_min.is_some() && integer_min == 0 && integer.contains(&sym.digit) {
        integer_min = 1;
    }
    Ok(Picture {
        prefix: prefix.iter().collect(),
        suffix: suffix.iter().collect(),
        integer_min,
        integer_groups,
        fraction_min,
        fraction_max,
        exponent_min,
    })
}

fn format_number(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(n) = a.number(0)? else {
        return Ok(Value::Undefined);
    };
    let picture: Rc<str> = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    let sym = Symbols::from_options(a)?;
    let parts: Vec<Vec<char>> = picture
        .split(sym.pattern)
        .map(|p| p.chars().collect())
        .collect();
    if parts.len() > 2 {
        return Err(Error::dynamic("D3080", a.position, "The picture string must not contain more than one instance of the pattern-separator character"));
    }
    let positive = analyse(&parts[0], &sym, a.position)?;
    let negative = match parts.get(1) {
        Some(p) => Some(analyse(p, &sym, a.position)?),
        None => None,
    };
    let pic = match (&negative, n < 0.0) {
        (Some(neg), true) => neg,
        _ => &positive,
    };
    let mut value = n.abs();
    let affixes = format!("{}{}", pic.prefix, pic.suffix);
    if affixes.contains(sym.percent.as_str()) {
        value *= 100.0;
    } else if affixes.contains(sym.per_mille.as_str()) {
        value *= 1000.0;
    }
    let mut exponent = 0i32;
    if pic.exponent_min.is_some() && value != 0.0 {
        let (lo, hi) = (
            10f64.powi(pic.integer_min as i32 - 1),
            10f64.powi(pic.integer_min as i32),
        );
        while value < lo {
            value *= 10.0;
            exponent -= 1;
        }
        while value >= hi {
            value /= 10.0;
            exponent += 1;
        }
    }
    let rounded = round_half_even(value, pic.fraction_max as i32);
    let text = format!("{rounded:.prec$}", prec = pic.fraction_max);
    let (int_digits, frac_digits) = text.split_once('.').unwrap_or((&text, ""));
    let mut integer: String = int_digits.trim_start_matches('0').to_string();
    while integer.len() < pic.integer_min {
        integer.insert(0, '0');
    }
    let mut fraction = frac_digits.to_string();
    while fraction.len() > pic.fraction_min && fraction.ends_with('0') {
        fraction.pop();
    }
    let integer = group(&integer, &pic.integer_groups, sym.grouping);
    let mut out = integer;
    if !fraction.is_empty() {
        out.push(sym.decimal);
        out.push_str(&fraction);
    }
    if let Some(min) = pic.exponent_min {
        out.push(sym.exponent);
        if exponent < 0 {
            out.push_str(&sym.minus);
        }
        out.push_str(&format!("{:0>min$}", exponent.unsigned_abs()));
    }
    let out: String = out
        .chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| char::from_u32(sym.zero as u32 + d))
                .unwrap_or(c)
        })
        .collect();
    let minus = if n < 0.0 && negative.is_none() {
        sym.minus.as_str()
    } else {
        ""
    };
    Ok(Value::string(format!(
        "{minus}{}{out}{}",
        pic.prefix, pic.suffix
    )))
}

/// Inserts grouping separators: every N digits when the picture's groups are regular (all
/// multiples of the first), otherwise exactly where the picture put them.
fn group(digits: &str, groups: &[usize], separator: char) -> String {
    let Some(&first) = groups.first().filter(|&&g| g > 0) else {
        return digits.to_string();
    };
    let regular = groups
        .iter()
        .enumerate()
        .all(|(i, &g)| g == first * (i + 1));
    let chars: Vec<char> = digits.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let from_right = chars.len() - i;
        if i > 0
            && (if regular {
                from_right % first == 0
            } else {
                groups.contains(&from_right)
            })
        {
            out.push(separator);
        }
        out.push(*c);
    }
    out
}

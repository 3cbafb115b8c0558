//! What a plain scalar means, for reading and for deciding when writing must quote.
//!
//! CloudFormation reads `AWSTemplateFormatVersion: 2010-09-09`, `Enabled: yes` and account IDs
//! such as `012345678901` as strings, so only the forms that YAML 1.1 and 1.2 agree on become
//! numbers, booleans or null. Anything else stays the text it was written as, so no value is
//! silently changed (hex, octal, `1_000`, `.inf` and exponents without a dot are strings).

use serde_json::{Number, Value};

/// The value of an untagged plain scalar.
pub(crate) fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => resolve_number(text).unwrap_or_else(|| Value::String(text.to_owned())),
    }
}

fn resolve_number(text: &str) -> Option<Value> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if is_decimal_integer(unsigned) {
        let digits = text.strip_prefix('+').unwrap_or(text);
        // Integers beyond 64 bits stay strings rather than lose digits as floats.
        if let Ok(negative) = digits.parse::<i64>() {
            return Some(Value::Number(negative.into()));
        }
        return digits
            .parse::<u64>()
            .ok()
            .map(|positive| Value::Number(positive.into()));
    }
    if is_shared_float(unsigned) {
        let float: f64 = text.parse().ok()?;
        return Number::from_f64(float).map(Value::Number);
    }
    None
}

/// `0` or digits without a leading zero: `012345678901` is an account ID, not a number.
fn is_decimal_integer(text: &str) -> bool {
    match text.as_bytes() {
        [b'0'] => true,
        [first, rest @ ..] => {
            *first != b'0' && first.is_ascii_digit() && rest.iter().all(u8::is_ascii_digit)
        }
        [] => false,
    }
}

/// The float syntax both YAML 1.1 and 1.2 accept: a dot is required, an exponent needs a sign.
fn is_shared_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let Some((whole, fraction)) = mantissa.split_once('.') else {
        return false;
    };
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    let whole_ok = digits(whole) && !(whole.len() > 1 && whole.starts_with('0'));
    let fraction_ok = digits(fraction) && (!whole.is_empty() || !fraction.is_empty());
    let exponent_ok = match exponent {
        None => true,
        Some(exponent) => match exponent.strip_prefix(['-', '+']) {
            Some(power) => !power.is_empty() && digits(power),
            None => false,
        },
    };
    whole_ok && fraction_ok && exponent_ok
}

/// Writes a float so that YAML 1.1 and 1.2 readers both read back exactly this float.
pub(crate) fn format_float(float: f64) -> String {
    // `{:?}` is the shortest text that round-trips, with a `.0` on whole numbers; YAML 1.1
    // additionally wants a dot in the mantissa and a sign on the exponent.
    let text = format!("{float:?}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let mantissa = if mantissa.contains('.') {
                mantissa.to_owned()
            } else {
                format!("{mantissa}.0")
            };
            let exponent = if exponent.starts_with('-') {
                exponent.to_owned()
            } else {
                format!("+{exponent}")
            };
            format!("{mantissa}e{exponent}")
        }
        None => text,
    }
}

/// Whether a plain scalar `text` could be read by any YAML reader as something other than the
/// string `text`: YAML 1.1 booleans and nulls in any case, `=` and `<<`, and anything shaped
/// like a number or timestamp in either version.
pub(crate) fn is_ambiguous_plain(text: &str) -> bool {
    if !matches!(resolve_plain(text), Value::String(_)) {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "yes" | "n" | "no" | "true" | "false" | "on" | "off" | "null" | "~" | "=" | "<<"
    ) {
        return true;
    }
    looks_numeric(text)
}

/// Numbers (any base, `_` separators, sexagesimal), `.inf`/`.nan` and timestamps all start with
/// a digit or a dot after an optional sign, and use only these characters.
fn looks_numeric(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let starts_like_number = unsigned
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_digit() || first == '.');
    starts_like_number
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '+' | '-' | ' '))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cloudformation_strings_stay_strings() {
        for text in [
            "2010-09-09",
            "yes",
            "no",
            "on",
            "off",
            "012345678901",
            "0x1F",
            "0o17",
            "1_000",
            "1:20",
            "1e3",
            ".inf",
            ".nan",
            "01.5",
            "99999999999999999999",
            "1.0e300x",
        ] {
            assert_eq!(resolve_plain(text), json!(text), "{text}");
        }
    }

    #[test]
    fn shared_forms_become_typed() {
        assert_eq!(resolve_plain("123456789012"), json!(123_456_789_012_u64));
        assert_eq!(resolve_plain("-5"), json!(-5));
        assert_eq!(resolve_plain("+5"), json!(5));
        assert_eq!(resolve_plain("0"), json!(0));
        assert_eq!(resolve_plain("18446744073709551615"), json!(u64::MAX));
        assert_eq!(resolve_plain("1.5"), json!(1.5));
        assert_eq!(resolve_plain("1."), json!(1.0));
        assert_eq!(resolve_plain(".5"), json!(0.5));
        assert_eq!(resolve_plain("1.0e+3"), json!(1000.0));
        assert_eq!(resolve_plain("TRUE"), json!(true));
        assert_eq!(resolve_plain("False"), json!(false));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain(""), Value::Null);
    }

    #[test]
    fn floats_are_written_in_the_shared_syntax() {
        for (float, text) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e300, "1.0e+300"),
            (1.5e-7, "1.5e-7"),
            (-2.5e20, "-2.5e+20"),
        ] {
            assert_eq!(format_float(float), text);
            assert_eq!(resolve_plain(text), json!(float));
        }
    }

    #[test]
    fn ambiguous_plain_scalars_are_recognised() {
        for text in [
            "Yes",
            "N",
            "oFF",
            "2010-09-09",
            "0x10",
            "1_000",
            "1:20",
            ".inf",
            "-.5",
            "<<",
            "=",
        ] {
            assert!(is_ambiguous_plain(text), "{text}");
        }
        for text in ["Hello", "10.0.0.0/16", "deadbeef", "a1", "t2.micro"] {
            assert!(!is_ambiguous_plain(text), "{text}");
        }
    }
}

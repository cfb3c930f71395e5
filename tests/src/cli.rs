//! Value parsers shared by the demo and benchmark command lines (clap derive).

/// A count that must be at least 1 (`--events 0` would measure nothing).
pub fn positive_count(v: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(format!("'{v}' is not a positive whole number"))
}

/// A finite rate above zero (requests per second).
pub fn positive_rate(v: &str) -> Result<f64, String> {
    v.parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r > 0.0)
        .ok_or(format!("'{v}' is not a positive number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rates_must_be_positive() {
        assert_eq!(positive_count("3"), Ok(3));
        assert!(positive_count("0").is_err());
        assert!(positive_count("-1").is_err());
        assert_eq!(positive_rate("2.5"), Ok(2.5));
        assert!(positive_rate("0").is_err());
        assert!(positive_rate("inf").is_err());
        assert!(positive_rate("NaN").is_err());
    }
}

//! What every command shares at the terminal: confirmation prompts, tables, JSON output and the
//! parsing of the units people type (τ amounts, percentages, weight lists).

use std::io::{IsTerminal, Write};

use anyhow::bail;
use comfy_table::{CellAlignment, ContentArrangement, Table, TableComponent, presets};
use protocol::{AlphaRao, PriceRao, PublicKey, RAO_PER_TAO, Rao};
use serde::Serialize;

/// Asks before an irreversible step; `-y` answers yes, and a script without `-y` is refused
/// rather than left waiting on a prompt nobody sees.
pub fn confirm(yes: bool, question: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("{question} Pass -y to confirm without a prompt.");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => bail!("cancelled: nothing was changed"),
    }
}

/// Pretty JSON on stdout: the whole output of a command run with `--json`.
pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A table with a header row; columns listed in `right` are right-aligned (numbers).
pub fn table(header: &[&str], right: &[usize]) -> Table {
    let mut t = Table::new();
    // Rules above, below and under the header only: rows stay one line each, easy to grep.
    t.load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .remove_style(TableComponent::HorizontalLines)
        .remove_style(TableComponent::MiddleIntersections)
        .remove_style(TableComponent::LeftBorderIntersections)
        .remove_style(TableComponent::RightBorderIntersections)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for &i in right {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// `tau1abcdef…uvwxyz`: enough to tell keys apart in a table; JSON always has the full address.
pub fn short(key: &PublicKey) -> String {
    let s = key.to_address();
    match (s.get(..10), s.get(s.len().saturating_sub(6)..)) {
        (Some(head), Some(tail)) if s.len() > 20 => format!("{head}…{tail}"),
        _ => s,
    }
}

/// A τ amount as typed: `1.5`, `0.000000001`, with an optional `τ`/`tao` suffix.
pub fn parse_tao(s: &str) -> Result<Rao, String> {
    Rao::parse_decimal(strip_unit(s, &["τ", "tao", "TAO"])).map_err(|e| e.to_string())
}

/// An alpha amount as typed: `1.5`, with an optional `α`/`alpha` suffix.
pub fn parse_alpha(s: &str) -> Result<AlphaRao, String> {
    AlphaRao::parse_decimal(strip_unit(s, &["α", "alpha"])).map_err(|e| e.to_string())
}

fn strip_unit<'a>(s: &'a str, units: &[&str]) -> &'a str {
    let s = s.trim();
    units.iter().find_map(|u| s.strip_suffix(u)).unwrap_or(s).trim_end()
}

/// A proportion in parts per billion (1e9 = 100%).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ppb(pub u64);

impl Ppb {
    pub const ONE: u64 = RAO_PER_TAO;
}

impl std::fmt::Display for Ppb {
    /// As a percentage with up to 7 decimals, trailing zeros dropped: `0.5%`.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let hundredths = u128::from(self.0) * 100;
        let (whole, frac) = (hundredths / u128::from(Ppb::ONE), hundredths % u128::from(Ppb::ONE));
        let frac = format!("{frac:09}");
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() { write!(f, "{whole}%") } else { write!(f, "{whole}.{frac}%") }
    }
}

/// A tolerance as typed: `0.5%`, or a fraction such as `0.005`; at most 100%.
pub fn parse_tolerance(s: &str) -> Result<Ppb, String> {
    let t = s.trim();
    let ppb = match t.strip_suffix('%') {
        Some(pct) => Rao::parse_decimal(pct.trim_end()).map(|r| r.0 / 100),
        None => Rao::parse_decimal(t).map(|r| r.0),
    }
    .map_err(|_| format!("`{s}` is not a tolerance such as 0.5% or 0.005"))?;
    if ppb > Ppb::ONE {
        return Err(format!("tolerance `{s}` is above 100%"));
    }
    Ok(Ppb(ppb))
}

/// `price · (1 + tol)`, rounded down: the ceiling a buy may push the price to.
pub fn raise(price: PriceRao, tol: Ppb) -> PriceRao {
    let p = u128::from(price.0) * u128::from(Ppb::ONE + tol.0) / u128::from(Ppb::ONE);
    PriceRao(u64::try_from(p).unwrap_or(u64::MAX))
}

/// `price · (1 − tol)`, rounded up: the floor a sale may push the price to.
pub fn lower(price: PriceRao, tol: Ppb) -> PriceRao {
    let keep = u128::from(Ppb::ONE - tol.0.min(Ppb::ONE));
    let p = (u128::from(price.0) * keep).div_ceil(u128::from(Ppb::ONE));
    PriceRao(u64::try_from(p).unwrap_or(u64::MAX))
}

/// How far `to` is from `from`, relative to `from`, rounded up (0 if `from` is 0).
pub fn relative_change(from: PriceRao, to: PriceRao) -> Ppb {
    if from.0 == 0 {
        return Ppb(0);
    }
    let d = u128::from(from.0.abs_diff(to.0)) * u128::from(Ppb::ONE);
    Ppb(u64::try_from(d.div_ceil(u128::from(from.0))).unwrap_or(u64::MAX))
}

/// Non-negative weights in any scale (`0.7,0.3` or `7,3`) as the u16 values a weight row carries,
/// the largest becoming 65535 (the ledger normalises rows anyway).
pub fn scale_weights(values: &[f64]) -> Result<Vec<u16>, String> {
    if let Some(bad) = values.iter().find(|v| !v.is_finite() || **v < 0.0) {
        return Err(format!("weight {bad} is not a non-negative number"));
    }
    let max = values.iter().copied().fold(0.0, f64::max);
    if max <= 0.0 {
        return Err("every weight is zero: give at least one positive weight".into());
    }
    // Weights are not money: a float scale is exact enough, and the result is a plain u16.
    Ok(values.iter().map(|v| (v / max * f64::from(u16::MAX)).round() as u16).collect())
}

/// Base units as a decimal with all 9 places and no symbol (a table column names the unit).
pub fn decimal(rao: u64) -> String {
    format!("{}.{:09}", rao / RAO_PER_TAO, rao % RAO_PER_TAO)
}

/// A u16 proportion (`x / 65535`) as a percentage with two decimals.
pub fn u16_pct(x: u16) -> String {
    format!("{:.2}%", f64::from(x) * 100.0 / f64::from(u16::MAX))
}

/// A u16 score (incentive, dividends, …) as a fraction with four decimals.
pub fn u16_frac(x: u16) -> String {
    format!("{:.4}", f64::from(x) / f64::from(u16::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_rule_the_header_not_every_row() {
        let mut t = table(&["a", "b"], &[1]);
        t.add_row(vec!["x", "1"]).add_row(vec!["y", "22"]);
        let text = t.to_string();
        assert_eq!(text.lines().count(), 6, "{text}");
        assert!(text.lines().any(|l| l.contains("x") && l.ends_with(" 1 ")), "{text}");
    }

    #[test]
    fn tolerances_parse_as_percent_or_fraction() {
        assert_eq!(parse_tolerance("0.5%"), Ok(Ppb(5_000_000)));
        assert_eq!(parse_tolerance("0.005"), Ok(Ppb(5_000_000)));
        assert_eq!(parse_tolerance("100%"), Ok(Ppb(Ppb::ONE)));
        assert_eq!(parse_tolerance(" 2 %"), Ok(Ppb(20_000_000)));
        assert!(parse_tolerance("101%").is_err());
        assert!(parse_tolerance("-1%").is_err());
        assert!(parse_tolerance("abc").is_err());
        assert_eq!(Ppb(5_000_000).to_string(), "0.5%");
        assert_eq!(Ppb(20_100_000).to_string(), "2.01%");
        assert_eq!(Ppb(Ppb::ONE).to_string(), "100%");
    }

    #[test]
    fn limits_move_the_price_by_the_tolerance() {
        let p = PriceRao(1_000_000_000);
        assert_eq!(raise(p, Ppb(5_000_000)), PriceRao(1_005_000_000));
        assert_eq!(lower(p, Ppb(5_000_000)), PriceRao(995_000_000));
        assert_eq!(lower(p, Ppb(Ppb::ONE)), PriceRao(0));
        assert_eq!(relative_change(p, PriceRao(1_020_100_000)), Ppb(20_100_000));
        assert_eq!(relative_change(PriceRao(0), p), Ppb(0));
    }

    #[test]
    fn amounts_accept_a_unit_suffix() {
        assert_eq!(parse_tao("1.5"), Ok(Rao(1_500_000_000)));
        assert_eq!(parse_tao("2τ"), Ok(Rao(2_000_000_000)));
        assert_eq!(parse_tao("0.25 tao"), Ok(Rao(250_000_000)));
        assert_eq!(parse_alpha("3 α"), Ok(AlphaRao(3_000_000_000)));
        assert!(parse_tao("1.0000000001").is_err());
        assert!(parse_tao("-1").is_err());
    }

    #[test]
    fn weights_scale_to_u16_with_the_largest_at_max() {
        assert_eq!(scale_weights(&[0.7, 0.3]), Ok(vec![65_535, 28_086]));
        assert_eq!(scale_weights(&[1.0, 1.0]), Ok(vec![65_535, 65_535]));
        assert!(scale_weights(&[0.0, 0.0]).is_err());
        assert!(scale_weights(&[1.0, -1.0]).is_err());
        assert!(scale_weights(&[1.0, f64::NAN]).is_err());
    }
}

//! Subnet hyperparameters as people read and write them: `name=value` edits over the current
//! values (names are the fields of `SubnetHyperparameters`), and a table with units.

use consensus::ledger::validate_hyperparameters;
use protocol::Rao;
use protocol::hyperparams::SubnetHyperparameters;
use serde_json::{Map, Value};

use super::ui;

/// Fields given in τ rather than rao.
const TAO_FIELDS: &[&str] = &["min_burn", "max_burn"];
/// Fields that are u16 proportions (`x / 65535`).
const U16_PROPORTIONS: &[&str] =
    &["max_weight_limit", "kappa", "bonds_penalty", "alpha_low", "alpha_high"];

fn fields(h: &SubnetHyperparameters) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(h) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) | Err(_) => Err("hyperparameters do not encode as an object".into()),
    }
}

/// `base` with the `name=value` edits applied, checked by the ledger's own range rules.
pub fn apply(
    base: &SubnetHyperparameters,
    edits: &[String],
) -> Result<SubnetHyperparameters, String> {
    let mut map = fields(base)?;
    for edit in edits {
        let Some((name, raw)) = edit.split_once('=') else {
            return Err(format!("`{edit}` is not NAME=VALUE (e.g. tempo=100)"));
        };
        let (name, raw) = (name.trim(), raw.trim());
        let Some(current) = map.get(name) else {
            let names: Vec<&str> = map.keys().map(String::as_str).collect();
            return Err(format!("no hyperparameter `{name}`; the names are: {}", names.join(", ")));
        };
        let value = match current {
            Value::Bool(_) => match raw.to_ascii_lowercase().as_str() {
                "true" | "on" | "yes" | "1" => Value::Bool(true),
                "false" | "off" | "no" | "0" => Value::Bool(false),
                _ => return Err(format!("{name} is true or false, not `{raw}`")),
            },
            Value::Number(_) if TAO_FIELDS.contains(&name) => {
                let rao = ui::parse_tao(raw).map_err(|e| format!("{name} is in τ: {e}"))?;
                Value::from(rao.0)
            }
            Value::Number(_) => match raw.replace('_', "").parse::<u64>() {
                Ok(n) => Value::from(n),
                Err(_) => return Err(format!("{name} is a whole number, not `{raw}`")),
            },
            _ => Value::String(raw.to_string()),
        };
        map.insert(name.to_string(), value);
    }
    let out: SubnetHyperparameters = serde_json::from_value(Value::Object(map))
        .map_err(|e| format!("a value is out of its type's range: {e}"))?;
    validate_hyperparameters(&out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// `(name, value as shown)` for every hyperparameter, by name.
pub fn rows(h: &SubnetHyperparameters) -> Vec<(String, String)> {
    let Ok(map) = fields(h) else { return Vec::new() };
    map.into_iter()
        .map(|(name, v)| {
            let shown = match (&v, name.as_str()) {
                (Value::Number(n), f) if TAO_FIELDS.contains(&f) => {
                    n.as_u64().map_or(v.to_string(), |r| Rao(r).to_string())
                }
                (Value::Number(n), f) if U16_PROPORTIONS.contains(&f) => n
                    .as_u64()
                    .and_then(|x| u16::try_from(x).ok())
                    .map_or(v.to_string(), |x| format!("{x} ({})", ui::u16_pct(x))),
                (Value::Number(n), "bonds_moving_average") => n
                    .as_u64()
                    .map_or(v.to_string(), |x| format!("{x} ({:.4}%)", x as f64 / 10_000.0)),
                (Value::Number(n), "tempo" | "weights_rate_limit" | "immunity_period") => {
                    format!("{n} blocks")
                }
                (Value::String(s), _) => s.clone(),
                _ => v.to_string(),
            };
            (name, shown)
        })
        .collect()
}

/// The edits `apply` made, as `name: old → new` lines.
pub fn changes(old: &SubnetHyperparameters, new: &SubnetHyperparameters) -> Vec<(String, String)> {
    rows(old)
        .into_iter()
        .zip(rows(new))
        .filter(|(a, b)| a.1 != b.1)
        .map(|((name, a), (_, b))| (name, format!("{a} → {b}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_by_name_with_units_and_range_checks() {
        let base = SubnetHyperparameters::default();
        let edits = ["tempo=100", "commit_reveal_enabled=off", "min_burn=0.5", "task=echo"];
        let edits: Vec<String> = edits.iter().map(|s| s.to_string()).collect();
        let h = apply(&base, &edits).unwrap();
        assert_eq!(h.tempo, 100);
        assert!(!h.commit_reveal_enabled);
        assert_eq!(h.min_burn, Rao(500_000_000));
        assert_eq!(h.task, "echo");
        let changed = changes(&base, &h);
        assert_eq!(changed.len(), 4);
        assert!(changed.iter().any(|(n, c)| n == "tempo" && c == "360 blocks → 100 blocks"));
    }

    #[test]
    fn bad_edits_say_what_is_wrong() {
        let base = SubnetHyperparameters::default();
        let err = |e: &str| apply(&base, &[e.to_string()]).unwrap_err();
        assert!(err("tempo").contains("NAME=VALUE"));
        assert!(err("tempi=3").contains("no hyperparameter `tempi`"));
        assert!(err("tempo=fast").contains("whole number"));
        assert!(err("tempo=70000").contains("range"));
        assert!(err("tempo=0").contains("tempo"));
        assert!(err("yuma3=maybe").contains("true or false"));
    }

    #[test]
    fn rows_show_units() {
        let rows = rows(&SubnetHyperparameters::default());
        let get = |n: &str| rows.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("max_burn"), "100.000000000 τ");
        assert_eq!(get("kappa"), "32767 (50.00%)");
        assert_eq!(get("tempo"), "360 blocks");
    }
}

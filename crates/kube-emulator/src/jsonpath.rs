//! The JSONPath subset CRD printer columns use (`.status.scoringUri`,
//! `.status.conditions[?(@.type=="Ready")].status`, `.spec.list[0]`, `.items[*].name`),
//! evaluated the way the apiserver's table convertor does: all results, the first one shown.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    All,
    Filter {
        path: Vec<String>,
        op: String,
        value: Value,
    },
}

fn parse(path: &str) -> Option<Vec<Step>> {
    let path = path.trim().trim_start_matches('{').trim_end_matches('}');
    let path = path.strip_prefix('$').unwrap_or(path);
    let mut steps = Vec::new();
    let chars: Vec<char> = path.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                i = start;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                if name == "*" {
                    steps.push(Step::All);
                } else if !name.is_empty() {
                    steps.push(Step::Field(name));
                }
            }
            '[' => {
                let start = i + 1;
                let mut depth = 1;
                i += 1;
                while i < chars.len() && depth > 0 {
                    match chars[i] {
                        '[' => depth += 1,
                        ']' => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                let inner: String = chars[start..i.saturating_sub(1)].iter().collect();
                steps.push(parse_bracket(inner.trim())?);
            }
            _ => return None,
        }
    }
    Some(steps)
}

fn parse_bracket(inner: &str) -> Option<Step> {
    if inner == "*" {
        return Some(Step::All);
    }
    if let Ok(n) = inner.parse::<i64>() {
        return Some(Step::Index(n));
    }
    if let Some(quoted) = inner
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
    {
        return Some(Step::Field(quoted.to_owned()));
    }
    let expr = inner.strip_prefix("?(")?.strip_suffix(')')?.trim();
    let ops = ["==", "!=", "<=", ">=", "<", ">"];
    let (lhs, op, rhs) = ops
        .iter()
        .find_map(|op| {
            expr.split_once(op)
                .map(|(l, r)| (l.trim(), (*op).to_owned(), r.trim()))
        })
        .unwrap_or((expr, "exists".to_owned(), ""));
    let path: Vec<String> = lhs
        .strip_prefix('@')?
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let value = if let Some(s) = rhs
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| rhs.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
    {
        Value::String(s.to_owned())
    } else {
        serde_json::from_str(rhs).unwrap_or(Value::Null)
    };
    Some(Step::Filter { path, op, value })
}

fn compare(actual: &Value, op: &str, wanted: &Value) -> bool {
    match op {
        "exists" => !actual.is_null(),
        "==" => actual == wanted,
        "!=" => actual != wanted,
        _ => match (actual.as_f64(), wanted.as_f64()) {
            (Some(a), Some(b)) => match op {
                "<" => a < b,
                "<=" => a <= b,
                ">" => a > b,
                ">=" => a >= b,
                _ => false,
            },
            _ => false,
        },
    }
}

/// Every value `path` selects in `root` (empty when the path is invalid or finds nothing).
pub(crate) fn find<'a>(root: &'a Value, path: &str) -> Vec<&'a Value> {
    let Some(steps) = parse(path) else {
        return Vec::new();
    };
    let mut current = vec![root];
    for step in &steps {
        let mut next = Vec::new();
        for node in current {
            match step {
                Step::Field(name) => {
                    if let Some(v) = node.get(name) {
                        next.push(v);
                    }
                }
                Step::Index(i) => {
                    if let Value::Array(items) = node {
                        let idx = if *i < 0 { items.len() as i64 + i } else { *i };
                        if let Some(v) = usize::try_from(idx).ok().and_then(|i| items.get(i)) {
                            next.push(v);
                        }
                    }
                }
                Step::All => match node {
                    Value::Array(items) => next.extend(items.iter()),
                    Value::Object(map) => next.extend(map.values()),
                    _ => {}
                },
                Step::Filter { path, op, value } => {
                    if let Value::Array(items) = node {
                        for item in items {
                            let mut field = item;
                            for p in path {
                                field = &field[p.as_str()];
                            }
                            if compare(field, op, value) {
                                next.push(item);
                            }
                        }
                    }
                }
            }
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filter_selects_the_condition_by_type() {
        let obj = json!({"status": {"conditions": [
            {"type": "Reconciling", "status": "True"},
            {"type": "Ready", "status": "False", "reason": "Waiting"}
        ]}});
        let found = find(&obj, r#".status.conditions[?(@.type=="Ready")].reason"#);
        assert_eq!(found, vec![&json!("Waiting")]);
        assert!(find(&obj, ".status.missing").is_empty());
        assert_eq!(
            find(&obj, ".status.conditions[0].type"),
            vec![&json!("Reconciling")]
        );
        assert_eq!(find(&obj, ".status.conditions[*].type").len(), 2);
    }
}

//! RFC 6902 JSON patch as the apiserver applies it (evanphx/json-patch): `add`, `remove`,
//! `replace`, `move`, `copy`, `test`; a `test` of a missing path against `null` passes (which
//! kube-runtime's `finalizer()` relies on), `-` appends to a list, and any failed operation
//! fails the whole patch.

use serde_json::Value;

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn split(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("invalid JSON pointer {path:?}"));
    };
    Ok(rest.split('/').map(unescape).collect())
}

fn get<'a>(doc: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    let mut node = doc;
    for t in tokens {
        node = match node {
            Value::Object(map) => map.get(t)?,
            Value::Array(items) => items.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn parent_mut<'a>(
    doc: &'a mut Value,
    tokens: &[String],
    path: &str,
) -> Result<&'a mut Value, String> {
    let mut node = doc;
    for t in tokens {
        node = match node {
            Value::Object(map) => map
                .get_mut(t)
                .ok_or_else(|| format!("doc is missing path: \"{path}\": missing value"))?,
            Value::Array(items) => {
                let i: usize = t
                    .parse()
                    .map_err(|_| format!("invalid array index {t:?} in {path:?}"))?;
                items
                    .get_mut(i)
                    .ok_or_else(|| format!("doc is missing path: \"{path}\": missing value"))?
            }
            _ => return Err(format!("doc is missing path: \"{path}\": missing value")),
        };
    }
    Ok(node)
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let tokens = split(path)?;
    let Some((last, parents)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent_mut(doc, parents, path)? {
        Value::Object(map) => {
            map.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(items) => {
            if last == "-" {
                items.push(value);
                return Ok(());
            }
            let i: usize = last
                .parse()
                .map_err(|_| format!("invalid array index {last:?}"))?;
            if i > items.len() {
                return Err(format!(
                    "add operation does not apply: index {i} out of bounds"
                ));
            }
            items.insert(i, value);
            Ok(())
        }
        _ => Err(format!(
            "add operation does not apply: doc is missing path: \"{path}\""
        )),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let tokens = split(path)?;
    let Some((last, parents)) = tokens.split_last() else {
        return Err("remove operation does not apply to the root".to_owned());
    };
    let missing = || {
        format!("remove operation does not apply: doc is missing path: \"{path}\": missing value")
    };
    match parent_mut(doc, parents, path).map_err(|_| missing())? {
        Value::Object(map) => map.remove(last).ok_or_else(missing),
        Value::Array(items) => {
            let i: usize = last.parse().map_err(|_| missing())?;
            if i < items.len() {
                Ok(items.remove(i))
            } else {
                Err(missing())
            }
        }
        _ => Err(missing()),
    }
}

/// Applies `ops` (a JSON array of operations) to `doc`, all or nothing.
pub(crate) fn apply_json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let Value::Array(ops) = ops else {
        return Err("a JSON patch must be a list of operations".to_owned());
    };
    let mut work = doc.clone();
    for op in ops {
        let kind = op["op"].as_str().ok_or("an operation has no \"op\"")?;
        let path = op["path"].as_str().ok_or("an operation has no \"path\"")?;
        match kind {
            "add" => add(
                &mut work,
                path,
                op.get("value").cloned().unwrap_or(Value::Null),
            )?,
            "remove" => {
                remove(&mut work, path)?;
            }
            "replace" => {
                let tokens = split(path)?;
                if get(&work, &tokens).is_none() {
                    return Err(format!(
                        "replace operation does not apply: doc is missing key: {path}: missing value"
                    ));
                }
                if tokens.is_empty() {
                    work = op.get("value").cloned().unwrap_or(Value::Null);
                } else {
                    remove(&mut work, path)?;
                    add(
                        &mut work,
                        path,
                        op.get("value").cloned().unwrap_or(Value::Null),
                    )?;
                }
            }
            "move" => {
                let from = op["from"].as_str().ok_or("a move has no \"from\"")?;
                let value = remove(&mut work, from)?;
                add(&mut work, path, value)?;
            }
            "copy" => {
                let from = op["from"].as_str().ok_or("a copy has no \"from\"")?;
                let value = get(&work, &split(from)?).cloned().ok_or_else(|| {
                    format!("copy operation does not apply: doc is missing from path: {from}")
                })?;
                add(&mut work, path, value)?;
            }
            "test" => {
                let expected = op.get("value").cloned().unwrap_or(Value::Null);
                let actual = get(&work, &split(path)?);
                let ok = match actual {
                    None => expected.is_null(),
                    Some(v) => *v == expected,
                };
                if !ok {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    *doc = work;
    Ok(())
}

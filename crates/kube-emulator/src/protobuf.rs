//! Decoding of the Kubernetes protobuf encoding for the built-in kinds typed clients send that
//! way (`kubectl create namespace|secret|configmap` post `application/vnd.kubernetes.protobuf`).
//! Only request bodies are decoded; responses are always JSON, which every client accepts.
//!
//! The envelope is the magic `k8s\0` and a `runtime.Unknown` message (typeMeta = 1, raw = 2);
//! field numbers follow `k8s.io/api/core/v1/generated.proto` and apimachinery's ObjectMeta.

use base64::Engine as _;
use serde_json::{Map, Value, json};

/// One protobuf field: number and payload.
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn fields(buf: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let tag = varint(buf, &mut pos)?;
        let field = match tag & 7 {
            0 => Field::Varint(varint(buf, &mut pos)?),
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let bytes = buf.get(pos..pos.checked_add(len)?)?;
                pos += len;
                Field::Bytes(bytes)
            }
            1 => {
                pos += 8;
                Field::Fixed
            }
            5 => {
                pos += 4;
                Field::Fixed
            }
            _ => return None,
        };
        out.push((tag >> 3, field));
    }
    Some(out)
}

fn text(bytes: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

/// A `map<string, string>` (or bytes, base64-encoded as JSON carries them) entry.
fn map_entry(bytes: &[u8], binary: bool) -> Option<(String, Value)> {
    let mut key = String::new();
    let mut value = Value::String(String::new());
    for (n, f) in fields(bytes)? {
        match (n, f) {
            (1, Field::Bytes(b)) => key = String::from_utf8_lossy(b).into_owned(),
            (2, Field::Bytes(b)) if binary => {
                value = Value::String(base64::engine::general_purpose::STANDARD.encode(b));
            }
            (2, Field::Bytes(b)) => value = text(b),
            _ => {}
        }
    }
    Some((key, value))
}

fn insert_entry(
    target: &mut Map<String, Value>,
    field: &str,
    bytes: &[u8],
    binary: bool,
) -> Option<()> {
    let (k, v) = map_entry(bytes, binary)?;
    target
        .entry(field.to_owned())
        .or_insert_with(|| json!({}))
        .as_object_mut()?
        .insert(k, v);
    Some(())
}

fn owner_reference(bytes: &[u8]) -> Option<Value> {
    let mut out = Map::new();
    for (n, f) in fields(bytes)? {
        match (n, f) {
            (1, Field::Bytes(b)) => {
                out.insert("kind".into(), text(b));
            }
            (3, Field::Bytes(b)) => {
                out.insert("name".into(), text(b));
            }
            (4, Field::Bytes(b)) => {
                out.insert("uid".into(), text(b));
            }
            (5, Field::Bytes(b)) => {
                out.insert("apiVersion".into(), text(b));
            }
            (6, Field::Varint(v)) => {
                out.insert("controller".into(), Value::Bool(v != 0));
            }
            (7, Field::Varint(v)) => {
                out.insert("blockOwnerDeletion".into(), Value::Bool(v != 0));
            }
            _ => {}
        }
    }
    Some(Value::Object(out))
}

fn object_meta(bytes: &[u8]) -> Option<Value> {
    let mut out = Map::new();
    for (n, f) in fields(bytes)? {
        match (n, f) {
            (1, Field::Bytes(b)) => {
                out.insert("name".into(), text(b));
            }
            (2, Field::Bytes(b)) => {
                out.insert("generateName".into(), text(b));
            }
            (3, Field::Bytes(b)) => {
                out.insert("namespace".into(), text(b));
            }
            (5, Field::Bytes(b)) => {
                out.insert("uid".into(), text(b));
            }
            (6, Field::Bytes(b)) => {
                out.insert("resourceVersion".into(), text(b));
            }
            (11, Field::Bytes(b)) => insert_entry(&mut out, "labels", b, false)?,
            (12, Field::Bytes(b)) => insert_entry(&mut out, "annotations", b, false)?,
            (13, Field::Bytes(b)) => {
                let reference = owner_reference(b)?;
                out.entry("ownerReferences")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()?
                    .push(reference);
            }
            (14, Field::Bytes(b)) => {
                out.entry("finalizers")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()?
                    .push(text(b));
            }
            _ => {}
        }
    }
    Some(Value::Object(out))
}

/// The body of a kind, given its `runtime.Unknown` type and raw bytes.
fn object(kind: &str, raw: &[u8]) -> Option<Value> {
    let mut out = Map::new();
    for (n, f) in fields(raw)? {
        let Field::Bytes(b) = f else {
            if let (Field::Varint(v), "Secret", 5) | (Field::Varint(v), "ConfigMap", 4) =
                (&f, kind, n)
            {
                out.insert("immutable".into(), Value::Bool(*v != 0));
            }
            continue;
        };
        match (kind, n) {
            (_, 1) => {
                out.insert("metadata".into(), object_meta(b)?);
            }
            ("Secret", 2) => insert_entry(&mut out, "data", b, true)?,
            ("Secret", 3) => {
                out.insert("type".into(), text(b));
            }
            ("Secret", 4) => insert_entry(&mut out, "stringData", b, false)?,
            ("ConfigMap", 2) => insert_entry(&mut out, "data", b, false)?,
            ("ConfigMap", 3) => insert_entry(&mut out, "binaryData", b, true)?,
            ("Namespace", 2) => {
                let mut finalizers = Vec::new();
                for (m, g) in fields(b)? {
                    if let (1, Field::Bytes(s)) = (m, g) {
                        finalizers.push(text(s));
                    }
                }
                out.insert("spec".into(), json!({"finalizers": finalizers}));
            }
            _ => {}
        }
    }
    Some(Value::Object(out))
}

/// Decodes a protobuf request body into the JSON of the object; `None` if it is not one of the
/// kinds decoded here or is malformed.
pub(crate) fn decode(body: &[u8]) -> Option<Value> {
    let envelope = body.strip_prefix(b"k8s\0")?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for (n, f) in fields(envelope)? {
        match (n, f) {
            (1, Field::Bytes(b)) => {
                for (m, g) in fields(b)? {
                    match (m, g) {
                        (1, Field::Bytes(s)) => {
                            api_version = String::from_utf8_lossy(s).into_owned()
                        }
                        (2, Field::Bytes(s)) => kind = String::from_utf8_lossy(s).into_owned(),
                        _ => {}
                    }
                }
            }
            (2, Field::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    if api_version != "v1" || !matches!(kind.as_str(), "Namespace" | "Secret" | "ConfigMap") {
        return None;
    }
    let mut value = object(&kind, raw)?;
    value["apiVersion"] = Value::String(api_version);
    value["kind"] = Value::String(kind);
    Some(value)
}

//! A small order-preserving JSON tree and tensor extraction helpers shared by the JSON loaders.
//!
//! `serde_json::Value` sorts object keys unless the `preserve_order` feature (and its
//! `indexmap` dependency) is on; PyTorch state dicts dumped to JSON list modules in forward
//! order, so the loaders need the file's key order. Memory is bounded by the input: each
//! node is a fixed-size enum built from at least one input byte, and serde_json's recursion
//! limit (128) bounds nesting.

use core::fmt;
use std::borrow::ToOwned;
use std::format;
use std::string::String;
use std::vec::Vec;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::host::spec::{fmt_shape, LoadError};

/// A JSON value whose objects keep the file's key order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Num(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        // No `size_hint` preallocation: the hint is not trusted.
        let mut v = Vec::new();
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(Json::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut v: Vec<(String, Json)> = Vec::new();
        while let Some((k, x)) = map.next_entry::<String, Json>()? {
            v.push((k, x));
        }
        // Duplicate keys are ambiguous: reject them (O(n log n), not O(n^2)).
        let mut keys: Vec<&str> = v.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
            return Err(serde::de::Error::custom(format!("duplicate key {:?}", w[0])));
        }
        Ok(Json::Obj(v))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

/// Parses a whole JSON document.
pub(crate) fn parse(bytes: &[u8]) -> Result<Json, LoadError> {
    serde_json::from_slice(bytes).map_err(|e| LoadError::malformed("", &format!("JSON: {e}")))
}

impl Json {
    /// A short name of the value's type for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Num(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }

    /// Member `key` of an object (`None` for other values or a missing key).
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(v) => v.iter().find(|(k, _)| k == key).map(|(_, x)| x),
            _ => None,
        }
    }

    pub(crate) fn as_obj(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Obj(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn as_arr(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(v) => Some(v),
            _ => None,
        }
    }
}

/// Member `key` of object `obj`, or a [`LoadError::Missing`].
pub(crate) fn field<'a>(obj: &'a Json, key: &str, ctx: &str) -> Result<&'a Json, LoadError> {
    obj.get(key).ok_or_else(|| LoadError::missing(ctx, &format!("field \"{key}\"")))
}

/// Member `key` as a string.
pub(crate) fn str_field<'a>(obj: &'a Json, key: &str, ctx: &str) -> Result<&'a str, LoadError> {
    match field(obj, key, ctx)? {
        Json::Str(s) => Ok(s),
        other => {
            Err(LoadError::malformed(ctx, &format!("field \"{key}\" is {}, expected a string", other.type_name())))
        }
    }
}

/// Converts a JSON number to a non-negative integer.
pub(crate) fn as_usize(v: &Json, what: &str, ctx: &str) -> Result<usize, LoadError> {
    match v {
        // 2^53: every integer below is exact in f64.
        Json::Num(x) if x.fract() == 0.0 && *x >= 0.0 && *x <= 9_007_199_254_740_992.0 => usize::try_from(*x as u64)
            .map_err(|_| LoadError::malformed(ctx, &format!("{what} = {x} does not fit in usize"))),
        other => {
            Err(LoadError::malformed(ctx, &format!("{what} must be a non-negative integer, found {}", describe(other))))
        }
    }
}

/// Member `key` as a non-negative integer.
pub(crate) fn usize_field(obj: &Json, key: &str, ctx: &str) -> Result<usize, LoadError> {
    as_usize(field(obj, key, ctx)?, &format!("field \"{key}\""), ctx)
}

/// A short rendering of a value for messages (numbers and strings verbatim).
pub(crate) fn describe(v: &Json) -> String {
    match v {
        Json::Num(x) => format!("{x}"),
        Json::Str(s) => {
            let short: String = s.chars().take(40).collect();
            format!("{short:?}")
        }
        other => other.type_name().into(),
    }
}

/// A dense tensor read from nested JSON arrays: shape and row-major values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JsonTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Reads nested arrays of numbers (any depth, rectangular) as a row-major f32 tensor.
/// A bare number is a 0-d tensor. Values are rounded to f32; values that overflow f32 are
/// errors.
pub(crate) fn tensor(v: &Json, name: &str, ctx: &str) -> Result<JsonTensor, LoadError> {
    // Shape from the first element at each depth.
    let mut shape = Vec::new();
    let mut cur = v;
    while let Json::Arr(a) = cur {
        shape.push(a.len());
        match a.first() {
            Some(x) => cur = x,
            None => break,
        }
    }
    let mut data = Vec::new();
    collect(v, &shape, 0, name, ctx, &mut data)?;
    Ok(JsonTensor { shape, data })
}

fn collect(
    v: &Json,
    shape: &[usize],
    depth: usize,
    name: &str,
    ctx: &str,
    out: &mut Vec<f32>,
) -> Result<(), LoadError> {
    match (v, shape.get(depth)) {
        (Json::Arr(a), Some(&n)) if a.len() == n => {
            for x in a {
                collect(x, shape, depth + 1, name, ctx, out)?;
            }
            Ok(())
        }
        (Json::Arr(a), Some(&n)) => Err(LoadError::malformed(
            ctx,
            &format!("{name} is ragged: an array at depth {depth} has {} elements, the first has {n}", a.len()),
        )),
        (Json::Num(x), None) => {
            let y = *x as f32;
            if !y.is_finite() {
                return Err(LoadError::malformed(ctx, &format!("{name} holds {x}, which is not a finite f32")));
            }
            out.push(y);
            Ok(())
        }
        (other, _) => Err(LoadError::malformed(
            ctx,
            &format!(
                "{name} must be nested arrays of numbers of shape {}, found {} at depth {depth}",
                fmt_shape(shape),
                other.type_name()
            ),
        )),
    }
}

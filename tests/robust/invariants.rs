//! What every report must satisfy whatever the input: the documented ranges of its fields, no
//! NaN or infinity anywhere, and a verdict consistent with its reasons.
//!
//! Shared by `tests/properties.rs`, `tests/bad_input.rs`, `tests/regression.rs` and the fuzz
//! targets (which include this file by path), so the fuzzer turns a broken invariant into a crash.

#![allow(dead_code)]

use fingerqc::{Report, Verdict};
use serde::ser::{self, Serialize};

/// Every float in `value` (Option contents included) is finite; else the path of the first one
/// that is not. `serde_json` writes NaN as `null`, which would hide it among the `None`s, so this
/// walks the serde data model itself.
pub fn first_non_finite<T: Serialize>(value: &T) -> Option<String> {
    let mut c = FiniteCheck { path: Vec::new() };
    match value.serialize(&mut c) {
        Ok(()) => None,
        Err(e) => Some(e.0),
    }
}

/// Keys whose value may be `null` in a report's JSON: the `Option` fields. A `null` anywhere else
/// is a NaN or infinity that `serde_json` wrote as `null`.
pub const OPTIONAL_KEYS: [&str; 7] = [
    "estimated_ppi",
    "ppi",
    "from_ridges",
    "from_width",
    "blur_mm",
    "motion_mm",
    "ridge_period_px",
];

/// Walks the report's `serde_json` value: every number finite, `null` only under
/// [`OPTIONAL_KEYS`]. `Err` gives the path of the first offender.
pub fn check_json(r: &Report) -> Result<(), String> {
    let v = serde_json::to_value(r).map_err(|e| format!("report does not serialize: {e}"))?;
    walk_json(&v, "")
}

fn walk_json(v: &serde_json::Value, path: &str) -> Result<(), String> {
    use serde_json::Value;
    match v {
        Value::Null => {
            let key = path.rsplit('.').next().unwrap_or("");
            if OPTIONAL_KEYS.contains(&key) {
                Ok(())
            } else {
                Err(format!("null (a NaN or infinity) at {path}"))
            }
        }
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => Ok(()),
            _ => Err(format!("number {n} at {path} is not finite")),
        },
        Value::Array(a) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| walk_json(x, &format!("{path}[{i}]"))),
        Value::Object(o) => o
            .iter()
            .try_for_each(|(k, x)| walk_json(x, &format!("{path}.{k}"))),
        Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

/// Checks a report of a `width` x `height` frame against the documented ranges; `Err` names the
/// first field out of range.
pub fn check_report(r: &Report, width: u32, height: u32) -> Result<(), String> {
    if let Some(path) = first_non_finite(r) {
        return Err(format!("non-finite value at {path}"));
    }
    check_json(r)?;
    if (r.width, r.height) != (width, height) {
        return Err(format!(
            "report size {}x{} for a {width}x{height} frame",
            r.width, r.height
        ));
    }
    if r.finger_count > 10 {
        return Err(format!("finger_count {} > 10", r.finger_count));
    }
    if r.fingers.len() != r.finger_count as usize {
        return Err(format!(
            "{} finger entries for finger_count {}",
            r.fingers.len(),
            r.finger_count
        ));
    }
    let ppi_ok = |name: &str, v: Option<f32>| match v {
        Some(p) if !(p.is_finite() && p > 0.0) => Err(format!("{name} = {p}, not finite and > 0")),
        _ => Ok(()),
    };
    ppi_ok("estimated_ppi", r.estimated_ppi)?;
    ppi_ok("ppi.ppi", r.ppi.ppi)?;
    ppi_ok("ppi.from_ridges", r.ppi.from_ridges)?;
    ppi_ok("ppi.from_width", r.ppi.from_width)?;
    if r.estimated_ppi != r.ppi.ppi {
        return Err(format!(
            "estimated_ppi {:?} differs from ppi.ppi {:?}",
            r.estimated_ppi, r.ppi.ppi
        ));
    }
    in_range("ppi.uncertainty", r.ppi.uncertainty, 0.0, f32::MAX)?;
    in_range(
        "ppi.max_reachable_ppi",
        r.ppi.max_reachable_ppi,
        0.0,
        f32::MAX,
    )?;
    in_range("hand_fraction", r.hand_fraction, 0.0, 1.0)?;
    in_range("focus.score", r.focus.score, 0.0, 100.0)?;
    opt_in_range("focus.blur_mm", r.focus.blur_mm, 0.0, f32::MAX)?;
    opt_in_range("focus.motion_mm", r.focus.motion_mm, 0.0, f32::MAX)?;
    let e = &r.exposure;
    for (name, v) in [
        ("exposure.mean", e.mean),
        ("exposure.p05", e.p05),
        ("exposure.p50", e.p50),
        ("exposure.p95", e.p95),
        ("glare.level", r.glare.level),
    ] {
        in_range(name, v, 0.0, 255.0)?;
    }
    if e.pixels > 0 && !(e.p05 <= e.p50 && e.p50 <= e.p95) {
        return Err(format!(
            "exposure percentiles out of order: p05 {} p50 {} p95 {}",
            e.p05, e.p50, e.p95
        ));
    }
    in_range("exposure.clipped_fraction", e.clipped_fraction, 0.0, 1.0)?;
    in_range("glare.fraction", r.glare.fraction, 0.0, 1.0)?;
    for (i, f) in r.fingers.iter().enumerate() {
        let at = |field: &str| format!("fingers[{i}].{field}");
        if f.quality > 100 {
            return Err(format!("{} = {} > 100", at("quality"), f.quality));
        }
        in_range(&at("focus_score"), f.focus_score, 0.0, 100.0)?;
        in_range(&at("inside_fraction"), f.inside_fraction, 0.0, 1.0)?;
        in_range(&at("ridge_coherence"), f.ridge_coherence, 0.0, 1.0)?;
        in_range(&at("ridge_clarity"), f.ridge_clarity, 0.0, 1.0)?;
        in_range(&at("mean_luma"), f.mean_luma, 0.0, 255.0)?;
        in_range(&at("glare_fraction"), f.glare_fraction, 0.0, 1.0)?;
        in_range(&at("width_px"), f.width_px, 0.0, f32::MAX)?;
        opt_in_range(&at("blur_mm"), f.blur_mm, 0.0, f32::MAX)?;
        opt_in_range(&at("motion_mm"), f.motion_mm, 0.0, f32::MAX)?;
        opt_in_range(&at("ridge_period_px"), f.ridge_period_px, 0.0, f32::MAX)?;
        let b = f.bbox;
        if b.x as u64 + b.width as u64 > width as u64
            || b.y as u64 + b.height as u64 > height as u64
        {
            return Err(format!(
                "{} {b:?} leaves the {width}x{height} frame",
                at("bbox")
            ));
        }
    }
    if (r.verdict == Verdict::Accept) != r.reasons.is_empty() {
        return Err(format!(
            "verdict {:?} with {} reasons",
            r.verdict,
            r.reasons.len()
        ));
    }
    for pair in r.reasons.windows(2) {
        if pair[0].code >= pair[1].code {
            return Err(format!(
                "reasons not sorted by code or repeated: {} then {}",
                pair[0].code, pair[1].code
            ));
        }
    }
    for reason in &r.reasons {
        if reason.message.is_empty() || reason.message_ar.is_empty() {
            return Err(format!("reason {} without a message", reason.code));
        }
    }
    Ok(())
}

fn in_range(name: &str, v: f32, lo: f32, hi: f32) -> Result<(), String> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err(format!("{name} = {v}, outside {lo}..={hi}"))
    }
}

fn opt_in_range(name: &str, v: Option<f32>, lo: f32, hi: f32) -> Result<(), String> {
    v.map_or(Ok(()), |v| in_range(name, v, lo, hi))
}

/// The path of the first non-finite float.
#[derive(Debug)]
pub struct NonFinite(String);

impl std::fmt::Display for NonFinite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NonFinite {}

impl ser::Error for NonFinite {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        NonFinite(format!("serialize error: {msg}"))
    }
}

/// A serializer that only looks at floats, failing at the first NaN or infinity.
struct FiniteCheck {
    path: Vec<String>,
}

impl FiniteCheck {
    fn float(&self, v: f64) -> Result<(), NonFinite> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(NonFinite(format!("{} = {v}", self.path.join("."))))
        }
    }

    fn nested<T: Serialize + ?Sized>(&mut self, key: String, v: &T) -> Result<(), NonFinite> {
        self.path.push(key);
        let r = v.serialize(&mut *self);
        self.path.pop();
        r
    }
}

macro_rules! ok_scalars {
    ($($name:ident: $t:ty),* $(,)?) => {
        $(fn $name(self, _v: $t) -> Result<(), NonFinite> { Ok(()) })*
    };
}

impl<'a> ser::Serializer for &'a mut FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    ok_scalars!(
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_char: char, serialize_str: &str, serialize_bytes: &[u8],
    );

    fn serialize_f32(self, v: f32) -> Result<(), NonFinite> {
        self.float(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Result<(), NonFinite> {
        self.float(v)
    }
    fn serialize_none(self) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), NonFinite> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), NonFinite> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), NonFinite> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), NonFinite> {
        self.nested(variant.to_string(), v)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, NonFinite> {
        Ok(Compound { c: self, index: 0 })
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, NonFinite> {
        Ok(Compound { c: self, index: 0 })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, NonFinite> {
        Ok(Compound { c: self, index: 0 })
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, NonFinite> {
        Ok(Compound { c: self, index: 0 })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, NonFinite> {
        Ok(Compound { c: self, index: 0 })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, NonFinite> {
        Ok(Compound { c: self, index: 0 })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, NonFinite> {
        Ok(Compound { c: self, index: 0 })
    }
}

/// Sequences, tuples, maps and structs: each element checked under its index or field name.
pub struct Compound<'a> {
    c: &'a mut FiniteCheck,
    index: usize,
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NonFinite> {
        let key = format!("[{}]", self.index);
        self.index += 1;
        self.c.nested(key, v)
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NonFinite> {
        self.element(v)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NonFinite> {
        self.element(v)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NonFinite> {
        self.element(v)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NonFinite> {
        self.element(v)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), NonFinite> {
        self.element(k)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NonFinite> {
        self.element(v)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), NonFinite> {
        self.c.nested(key.to_string(), v)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), NonFinite> {
        self.c.nested(key.to_string(), v)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

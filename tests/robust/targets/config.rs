//! Configuration parsing: TOML and JSON text, and configs built field by field from raw values.
//! A config that parses must validate, round-trip through TOML and JSON unchanged, and never make
//! the analyzer panic; one that does not must name its field.

use crate::robust::harness::{Reader, analyze_checked, tile};
use fingerqc::{Config, Error, FrameView, Hand};

pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let parsed = match r.u8() % 3 {
        0 => std::str::from_utf8(r.rest())
            .ok()
            .map(Config::from_toml_str),
        1 => std::str::from_utf8(r.rest())
            .ok()
            .map(Config::from_json_str),
        _ => Some(structured(&mut r)),
    };
    let Some(parsed) = parsed else { return };
    match parsed {
        Ok(config) => {
            config.validate().expect("a parsed config validates");
            let toml = toml::to_string(&config).expect("config serializes to TOML");
            assert_eq!(
                Config::from_toml_str(&toml).expect("TOML round trip"),
                config
            );
            let json = serde_json::to_string(&config).expect("config serializes to JSON");
            assert_eq!(
                Config::from_json_str(&json).expect("JSON round trip"),
                config
            );
            analyze_some(config, data);
        }
        Err(Error::Config { field, .. }) => assert!(!field.is_empty()),
        Err(Error::ConfigParse(msg)) => assert!(!msg.is_empty()),
        Err(e) => panic!("unexpected error kind for a config: {e}"),
    }
}

/// A config whose every field comes from the input (raw bit patterns for the floats, so NaN,
/// infinities, negatives and subnormals all occur), then validated.
fn structured(r: &mut Reader) -> fingerqc::Result<Config> {
    let mut f = || {
        let bits = r.u32();
        // Half the time a tame number, so that validation often passes.
        if bits & 1 == 0 {
            f32::from_bits(bits)
        } else {
            (bits >> 8) as f32 / 1000.0
        }
    };
    let mut c = Config::default();
    c.ppi.min = f();
    c.ppi.max = f();
    c.ppi.target = f();
    c.focus.max_blur_mm = f();
    c.focus.max_motion_mm = f();
    c.exposure.dark_mean = f();
    c.exposure.bright_mean = f();
    c.exposure.max_clipped_fraction = f();
    c.glare.level_cap = f();
    c.glare.level_above_mean = f();
    c.glare.min_fraction = f();
    c.framing.min_inside_to_count = f();
    c.framing.max_outside_fraction = f();
    c.framing.print_fraction_of_finger = f();
    c.ridge.period_mm = f();
    c.ridge.finger_width_mm = f();
    c.ridge.min_clarity = f();
    c.ridge.min_modulation = f();
    c.exposure.clipped_level = r.u8();
    c.glare.min_pixels = r.u32();
    c.expected_fingers = r.u8();
    c.expected_hand = [Hand::Left, Hand::Right, Hand::Unknown][(r.u8() % 3) as usize];
    c.mirrored = r.u8() & 1 == 1;
    c.limits.max_frame_pixels = r.u64();
    c.limits.max_image_side = r.u32();
    c.limits.max_decode_bytes = r.u64();
    c.validate().map(|()| c)
}

/// Runs an accepted config over a few small frames made from the input bytes.
fn analyze_some(config: Config, data: &[u8]) {
    for (w, h) in [(64u32, 48u32), (17, 3)] {
        let px = tile(data, (w * h * 3) as usize);
        let view = FrameView::from_bytes(&px, w, h, fingerqc::PixelFormat::Rgb8).expect("frame");
        analyze_checked(&view, config.clone());
    }
}

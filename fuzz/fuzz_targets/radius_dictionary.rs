//! FreeRADIUS dictionary-file parsing: never panics; includes resolve to the
//! same input (so the depth bound is exercised).
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_proto::dict::Dictionary;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let mut d = Dictionary::standard();
    let owned = text.to_string();
    let _ = d.load_str("fuzz", text, &mut |_: &str| Some(owned.clone()));
});

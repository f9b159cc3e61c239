//! The loader against the real dictionaries of Debian's `freeradius-common`.

use radius_proto::dict::Dictionary;

const TOP: &str = "/usr/share/freeradius/dictionary";

#[test]
fn loads_the_whole_freeradius_tree() {
    if !std::path::Path::new(TOP).exists() {
        testbed::skip(
            "loads_the_whole_freeradius_tree",
            &format!("{TOP} missing (apt-get install freeradius-common)"),
        );
        return;
    }
    let mut d = Dictionary::new();
    let mut files = 0usize;
    d.load(TOP, &mut |p: &str| {
        files += 1;
        std::fs::read_to_string(p).ok()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "loaded {files} files: {} vendors, {} attributes, {} values",
        d.vendor_count(),
        d.attr_count(),
        d.value_count()
    );
    assert!(files > 100);
    assert!(d.attr_count() > 5000);
    let rp = d.attr("RP-Downstream-Speed-Limit").unwrap();
    assert_eq!((rp.vendor, rp.code), (10055, 2));
    let cisco = d.attr("Cisco-AVPair").unwrap();
    assert_eq!((cisco.vendor, cisco.code), (9, 1));
    assert_eq!(d.attr("Framed-IP-Address").unwrap().code, 8);
    assert_eq!(d.value("Acct-Status-Type", "Interim-Update"), Some(3));
    // The operator's local dictionary in /etc (comments only by default).
    let etc = "/etc/freeradius/3.0/dictionary";
    if std::path::Path::new(etc).exists() {
        d.load_file(etc).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn every_file_alone_either_loads_or_fails_without_panicking() {
    let Ok(dir) = std::fs::read_dir("/usr/share/freeradius") else {
        testbed::skip(
            "every_file_alone",
            "/usr/share/freeradius missing (apt-get install freeradius-common)",
        );
        return;
    };
    let mut ok = 0;
    for e in dir.flatten() {
        let p = e.path();
        let name = p.to_string_lossy().into_owned();
        if !name.contains("dictionary") {
            continue;
        }
        let mut d = Dictionary::standard();
        if d.load_file(&name).is_ok() {
            ok += 1;
        }
    }
    assert!(ok > 100, "{ok}");
}

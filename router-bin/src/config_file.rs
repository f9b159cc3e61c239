//! What both daemons' TOML configuration files share: reading with errors
//! that name the file, line and key, and interface-name checks.

use std::path::Path;

use serde::de::DeserializeOwned;

/// Reads and deserializes `path`; the error names the file.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("config {}: {e}", path.display()))
}

/// Deserializes a configuration text; the error names the line and key.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// Checks that `name` (the value of `key`) can be a Linux interface name.
pub fn check_ifname(key: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 15 || name.contains(['/', ' ']) {
        return Err(format!(
            "{key} `{name}`: an interface name has 1 to 15 characters, no '/' or space"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[allow(dead_code)]
        interface: String,
    }

    #[test]
    fn errors_name_what_to_fix() {
        let e = parse::<Sample>("interfce = \"eth0\"\n").unwrap_err();
        assert!(e.contains("interfce"), "{e}");
        let e = load::<Sample>(Path::new("/nonexistent/x.toml")).unwrap_err();
        assert!(e.contains("/nonexistent/x.toml"), "{e}");
        assert!(check_ifname("wan.interface", "eth1.7").is_ok());
        let e = check_ifname("tun", "a-name-longer-than-15").unwrap_err();
        assert!(e.contains("tun"), "{e}");
    }
}

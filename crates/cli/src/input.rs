//! Reading the files the commands take, `-` meaning standard input.

use std::io::Read;
use std::path::Path;

use crate::Failure;

/// The exact bytes of `path` (or of stdin for `-`).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).map(drop)
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    read.map_err(|e| Failure::unusable(format!("cannot read {}: {e}", path.display())))?;
    Ok(bytes)
}

/// The text of `path`, which must be UTF-8.
pub fn read_text(path: &Path) -> Result<String, Failure> {
    String::from_utf8(read_bytes(path)?).map_err(|e| {
        Failure::unusable(format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}
